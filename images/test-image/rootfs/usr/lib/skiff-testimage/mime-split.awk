# mime-split.awk: splits a MIME multipart/mixed user-data document into its parts, for the test image's
# cloud-init stand-in (busybox awk).   awk -v D=DIR -f mime-split.awk user-data
# For part N (1, 2, ...): D/N.hdr holds shell assignments (type=, cte=, merge=) and D/N.body the raw body.
# One level only: a nested multipart part is written as it is (type=multipart/...), not walked into.
function hval(line) { sub(/^[^:]*:[ \t]*/, "", line); return line }
function shq(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
BEGIN { state = "top"; n = 0 }
{ sub(/\r$/, "") }
state == "top" {
  if ($0 == "") { state = "pre"; next }
  if (tolower($0) ~ /^content-type:/ && match($0, /boundary="?[^";]+/)) {
    B = substr($0, RSTART + 9, RLENGTH - 9); sub(/^"/, "", B)
  }
  next
}
B != "" && $0 == "--" B "--" { state = "end"; next }
B != "" && $0 == "--" B { n++; state = "hdr"; type = "text/plain"; cte = ""; merge = ""; next }
state == "hdr" {
  if ($0 == "") {
    printf "type=%s\ncte=%s\nmerge=%s\n", shq(type), shq(cte), shq(merge) > (D "/" n ".hdr")
    printf "" > (D "/" n ".body"); state = "body"; next
  }
  l = tolower($0)
  if (l ~ /^content-type:/) { type = hval($0); sub(/;.*/, "", type); type = tolower(type) }
  else if (l ~ /^content-transfer-encoding:/) cte = tolower(hval($0))
  else if (l ~ /^(x-)?merge-type:/) merge = hval($0)
  next
}
state == "body" { print > (D "/" n ".body") }
