#!/bin/sh
# A configurable Nagios plugin for tests: plugin.sh EXIT_CODE [STDOUT_TEXT [STDERR_TEXT]].
# STDOUT_TEXT is printed with printf %b so tests can pass "\n" for long output.
code=$1
if [ -n "$2" ]; then printf '%b\n' "$2"; fi
if [ -n "$3" ]; then printf '%s\n' "$3" >&2; fi
exit "$code"
