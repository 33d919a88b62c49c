#!/usr/bin/env bash
# CPU use of a command while it works: its CPU seconds (every thread, user + system) over wall
# seconds, read from /proc once a second, leaving out the first SKIP seconds (reading the data
# set, building the model) and the last second (writing samples and checkpoints). `time`'s %P
# counts those single-threaded ends too, which hides what the training loop itself does.
# Linux only. Usage: SKIP=5 bench/cpu_use.sh gan-studio train --run R --model cdcgan ...
set -euo pipefail
skip=${SKIP:-5}
tick=$(getconf CLK_TCK)
"$@" > /dev/null &
pid=$!
start=$(date +%s.%N)
first="" last=""
while kill -0 "$pid" 2> /dev/null; do
    # Fields after the ")" closing the command name: utime and stime are the 12th and 13th.
    stat=$(sed 's/.*) //' "/proc/$pid/stat" 2> /dev/null) || break
    now=$(date +%s.%N)
    ticks=$(awk '{print $12 + $13}' <<< "$stat")
    if awk -v n="$now" -v s="$start" -v k="$skip" 'BEGIN {exit !(n - s >= k)}'; then
        [ -z "$first" ] && first="$now $ticks"
        last="$now $ticks"
    fi
    sleep 1
done
wait "$pid"
if [ -z "$first" ] || [ "$first" = "$last" ]; then
    echo "cpu_use: the command ended within $skip s; nothing to report" >&2
    exit 1
fi
awk -v a="$first" -v b="$last" -v t="$tick" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    wall = y[1] - x[1]; cpu = (y[2] - x[2]) / t;
    printf "cpu %.0f%% over %.1f s (cpu %.1f s)\n", 100 * cpu / wall, wall, cpu }'
