/*
 * banned.h - functions we never call (STYLE.md 3.8).  Included last by
 * every .c file of the project; the compiler then refuses any use.
 */
#ifndef BANNED_H
#define BANNED_H
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok atoi atol
#endif
