#!/bin/sh
# A Mackerel metric plugin with graph definitions, for ui-services-e2e.test.ts: the humidity of two
# rooms (percentage) and two fans (stacked), one line a minute over the last hour, and one metric
# no graph defines (the host page groups it by plugin).
if [ -n "$MACKEREL_AGENT_PLUGIN_META" ]; then
  echo '# mackerel-agent-plugin'
  cat <<'JSON'
{
  "graphs": {
    "room.#": {
      "label": "Room climate",
      "unit": "percentage",
      "metrics": [{ "name": "humidity", "label": "Humidity (%1)" }]
    },
    "fans": {
      "label": "Fan speed",
      "unit": "float",
      "metrics": [{ "name": "*", "label": "Fan %1", "stacked": true }]
    }
  }
}
JSON
  exit 0
fi
now=$(( $(date +%s) / 60 * 60 ))
i=60
while [ "$i" -ge 0 ]; do
  t=$((now - i * 60))
  printf 'room.kitchen.humidity\t%s\t%s\n' $((40 + i % 7)) "$t"
  printf 'room.cellar.humidity\t%s\t%s\n' $((60 + i % 5)) "$t"
  printf 'fans.cpu\t%s\t%s\n' $((1200 + i * 3)) "$t"
  printf 'fans.case\t800\t%s\n' "$t"
  printf 'misc.doors.open\t%s\t%s\n' $((i % 3)) "$t"
  i=$((i - 1))
done
