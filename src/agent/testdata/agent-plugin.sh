#!/bin/sh
# A Mackerel metric plugin printing two metrics and one malformed line.
now=$(date +%s)
printf 'custom.dice.d6\t4\t%s\n' "$now"
printf 'custom.dice.d20\t17\t%s\n' "$now"
echo 'this line is not a metric'
