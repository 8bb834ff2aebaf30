#!/bin/sh
# Prints a line, then hangs (with a child) until killed: for timeouts and aborts.
echo "STARTED | t=1s"
sleep 30 &
sleep 30
echo "never printed"
