#!/bin/sh
# The guidelines' multi-line output, with perfdata on three lines; WARNING.
cat <<'OUT'
DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968
/ 15272 MB (77%);
/boot 68 MB (69%);
/var/log 819 MB (84%); | /boot=68MB;88;93;0;98
'/var/log'=818MB;970;975;0;980
OUT
exit 1
