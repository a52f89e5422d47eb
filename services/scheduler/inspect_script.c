/*
 * inspect_script.c - the Python the scheduler carries inside its binary,
 * so there is no file to find or to keep read-only at run time: the
 * workflow inspector (inspect_workflow.py, beside this file; passed to
 * python3 -c) and the runner with its mupif stand-in (runner/, written
 * read-only into the scheduler's directory at start).  The Makefile
 * rebuilds this object when one of them changes.  Trust: trusted code
 * from this repository.
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

__asm__(
"	.section .rodata\n"
"	.globl sched_runner_py\n"
"	.type sched_runner_py, @object\n"
"sched_runner_py:\n"
"	.incbin \"runner/mupif_runner.py\"\n"
"	.byte 0\n"
"	.size sched_runner_py, .-sched_runner_py\n"
"	.globl sched_standin_py\n"
"	.type sched_standin_py, @object\n"
"sched_standin_py:\n"
"	.incbin \"runner/mupif_standin.py\"\n"
"	.byte 0\n"
"	.size sched_standin_py, .-sched_standin_py\n"
"	.previous\n");
