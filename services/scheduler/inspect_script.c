/*
 * inspect_script.c - the workflow inspector (inspect_workflow.py, beside
 * this file) built into the scheduler binary, so there is no file to find
 * or to keep read-only at run time: the scheduler passes the text to
 * python3 -c.  The Makefile rebuilds this object when the script changes.
 * Trust: the script is trusted code from this repository.
 */
#include "scheduler.h"
#include "banned.h"

__asm__(
"	.section .rodata\n"
"	.globl sched_inspect_py\n"
"	.type sched_inspect_py, @object\n"
"sched_inspect_py:\n"
"	.incbin \"services/scheduler/inspect_workflow.py\"\n"
"	.byte 0\n"
"	.size sched_inspect_py, .-sched_inspect_py\n"
"	.previous\n");
