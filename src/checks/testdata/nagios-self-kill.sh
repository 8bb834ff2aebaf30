#!/bin/sh
# Dies by SIGSEGV after printing a line, like a crashing plugin.
echo "about to crash"
kill -SEGV $$
