/*
 * api_openapi.c - the OpenAPI document served at /api/openapi.json,
 * services/api/openapi.json embedded at build time (.incbin), so the
 * binary needs no file at run time (the api has none in its jail).
 * The Makefile makes this object depend on the JSON file.
 *
 * Trust: build-time data only.
 */
__asm__(
    "	.section .rodata\n"
    "	.global api_openapi_json\n"
    "	.hidden api_openapi_json\n"
    "	.type api_openapi_json, @object\n"
    "	.balign 16\n"
    "api_openapi_json:\n"
    "	.incbin \"services/api/openapi.json\"\n"
    "	.global api_openapi_json_end\n"
    "	.hidden api_openapi_json_end\n"
    "	.type api_openapi_json_end, @object\n"
    "api_openapi_json_end:\n"
    "	.byte 0\n"
    "	.previous\n");
