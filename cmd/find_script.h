#ifndef CTRACE_CMD_FIND_SCRIPT_H
#define CTRACE_CMD_FIND_SCRIPT_H

/* Console scripts: `ctrace run NAME` where NAME is not a file here but a
 * Python script on PATH (pytest, pip-installed tools), run as its shell
 * would run it. */

/* Looks NAME up on PATH when it names nothing in the current folder and
 * has no '/'. Sets *PATH to the script found (malloc'd: it becomes
 * sys.argv[0], as the kernel hands it to the interpreter) and *PYTHON to the
 * interpreter its shebang names by path (malloc'd), or to NULL when it
 * runs "python3" through env (the environment's). Both stay NULL when NAME
 * is not a console script: the caller checks it as a plain script. Returns
 * 0, or 1 after reporting a script on PATH that Python does not run. */
int ct_find_console_script(const char *name, char **path, char **python);

#endif
