#!/bin/sh
# A Mackerel metric plugin with graph meta, for mackerel-plugin.test.ts.
if [ -n "$MACKEREL_AGENT_PLUGIN_META" ]; then
  echo '# mackerel-agent-plugin'
  cat "$(dirname "$0")/plugin-disk-meta.json"
  exit 0
fi
printf 'disk.sda.used\t1024\t1700000000\n'
printf 'disk.sdb.used\t2048\t1700000000\n'
printf 'disk.sda.free 512 1700000000\n'
printf 'uptime.seconds\t99.5\t1700000000\n'
printf 'this line is broken\n'
printf 'loadavg\tfive\t1700000000\n'
echo "KANSHI_AGENT_PLUGIN_META=[$KANSHI_AGENT_PLUGIN_META]" >&2
