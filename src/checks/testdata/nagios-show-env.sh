#!/bin/sh
# Prints a few environment variables as perfdata-free output, and the working directory.
echo "OK - greeting=${GREETING:-unset} home=${HOME:-unset} cwd=$(pwd)"
