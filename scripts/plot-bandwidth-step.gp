# Plots the timeline CSV of myriad-bench-bandwidth-step (docs/benchmarks.md,
# "Bandwidth step change"): the bottleneck's cap, what crossed it (goodput),
# the publisher's send rate and the server's estimate in kbit/s on the left
# axis; the height of the tier the subscriber receives on the right axis.
#
#   gnuplot -e "csv='bandwidth-step.csv'; png='docs/bandwidth-step.png'" \
#       scripts/plot-bandwidth-step.gp
#
# gnuplot is not a build dependency (Debian: gnuplot-nox).

if (!exists("csv")) csv = 'bandwidth-step.csv'
if (!exists("png")) png = 'docs/bandwidth-step.png'
if (!exists("title")) title = 'Subscriber behind a stepped downlink cap (myriad-bench-bandwidth-step)'

set terminal pngcairo size 1400,700 font 'DejaVu Sans,11' noenhanced
set output png
set datafile separator ','
# Empty fields (no estimate yet, no frame in the sample) are missing, not 0.
set datafile missing ''
set key autotitle columnhead
set title title
set grid xtics ytics lc rgb '#dddddd'
set xlabel 'time since the subscribe request (s)'
set ylabel 'kbit/s'
# Up to 1.5x the highest cap: the start-up burst (the first key frames over
# a 500 ms window) would squash the rest; it is clipped.
stats csv using 3 nooutput
set yrange [0:STATS_max * 1.5]
set y2label 'received height (px; 0 = no frame for 500 ms)'
set y2range [0:1000]
set y2tics ('0' 0, '180' 180, '360' 360, '720' 720)
set ytics nomirror
set key outside bottom center horizontal

# Columns: 1 t_s, 3 cap_kbps, 4 goodput_kbps, 6 publisher_kbps,
# 13 received_height, 17 estimate_kbps.
plot csv using 1:3 with steps lw 4 lc rgb '#999999' title 'cap', \
     csv using 1:4 with lines lw 1.5 lc rgb '#1f77b4' title 'goodput to the subscriber (500 ms)', \
     csv using 1:6 with lines lw 1.5 lc rgb '#d62728' title 'publisher send rate (500 ms)', \
     csv using 1:17 with lines lw 1.2 dt 2 lc rgb '#2ca02c' title "server's estimate", \
     csv using 1:13 axes x1y2 with steps lw 2 lc rgb '#9467bd' title 'received height (right axis)'
