# yaml2sh.awk: reads the YAML subset that cloud-config and NoCloud meta-data use and prints shell variable
# assignments, for the test image's cloud-init stand-in (busybox awk; also runs on mawk and gawk).
#
#   awk -v P=CC_ [-v SKIP="key1 key2"] -f yaml2sh.awk user-data > cfg.sh; . ./cfg.sh
#
# SKIP lists top-level keys (as sanitized below) to leave out: vendor-data is read with SKIP set to the keys
# that user-data has, which replaces them like cloud-init's default merge.
#
# Every node gets a name: P + its path, the keys and 0-based sequence indexes joined by "_" (characters other
# than [A-Za-z0-9_] in keys become "_", so "ssh-authorized-keys" and "ssh_authorized_keys" are the same):
#   scalar     P<path>='text'                       (the text as written: no type conversion)
#   sequence   P<path>__t=seq  P<path>__n=COUNT
#   mapping    P<path>__t=map  P<path>__k='key1 key2 ...'
# Supported: block mappings and sequences (also "- key: v" items and "- - x" nesting), flow [..] and {..}
# (nested, over several lines), plain, 'single' and "double" quoted scalars (with escapes), literal | and
# folded > block scalars with chomping (-, +) and indentation indicators, comments, "---".
# Not supported: anchors and aliases (anchors are dropped), tags (dropped), complex "? " keys, multi-document
# streams (later documents are merged into the first).

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function ltrim(s) { sub(/^[ \t]+/, "", s); return s }
function indent(s) { match(s, /^ */); return RLENGTH }
function spaces(n,   s) { s = ""; while (n-- > 0) s = s " "; return s }
function san(k) { gsub(/[^A-Za-z0-9_]/, "_", k); return k }
function child(path, k) { return path == "" ? k : path "_" k }
function shq(s,   n, parts, i, r) {
  n = split(s, parts, "\047"); r = parts[1]
  for (i = 2; i <= n; i++) r = r "\047\\\047\047" parts[i]
  return "\047" r "\047"
}
function setv(name, v) { if (!MUTE) print P name "=" shq(v) }
function setn(name, v) { if (!MUTE) print P name "=" v }
function noise(s) { return s ~ /^[ \t]*(#.*)?$/ || s ~ /^(---|\.\.\.)([ \t]|$)/ || s ~ /^%/ }
function skip() { while (ln <= n && noise(L[ln])) ln++ }
function hexval(h,   i, v) {
  v = 0; h = tolower(h)
  for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
  return v
}
function utf8(c) { # code point -> UTF-8 bytes (LC_ALL=C)
  if (c < 128) return sprintf("%c", c)
  if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
  if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
  return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}

# qparse(s, p): the quoted scalar starting at s[p] (a ' or "). Sets QEND to the index after the closing quote
# (0 if the string does not close in s) and returns the unescaped text.
function qparse(s, p,   q, out, ch, e, len) {
  q = substr(s, p, 1); out = ""; p++; len = length(s)
  while (p <= len) {
    ch = substr(s, p, 1)
    if (q == "'" && ch == "'") {
      if (substr(s, p + 1, 1) == "'") { out = out "'"; p += 2; continue }
      QEND = p + 1; return out
    }
    if (q == "\"" && ch == "\"") { QEND = p + 1; return out }
    if (q == "\"" && ch == "\\") {
      e = substr(s, p + 1, 1); p += 2
      if (e == "n") out = out "\n"
      else if (e == "t" || e == "\t") out = out "\t"
      else if (e == "r") out = out "\r"
      else if (e == "e") out = out "\033"
      else if (e == "a") out = out "\007"
      else if (e == "b") out = out "\010"
      else if (e == "f") out = out "\014"
      else if (e == "v") out = out "\013"
      else if (e == "0") { }
      else if (e == "x") { out = out utf8(hexval(substr(s, p, 2))); p += 2 }
      else if (e == "u") { out = out utf8(hexval(substr(s, p, 4))); p += 4 }
      else if (e == "U") { out = out utf8(hexval(substr(s, p, 8))); p += 8 }
      else if (e == "N") out = out utf8(133)
      else if (e == "_") out = out utf8(160)
      else if (e == "L") out = out utf8(8232)
      else if (e == "P") out = out utf8(8233)
      else if (e == "\n") { } # escaped line break (multi-line strings are joined with "\n" first)
      else out = out e        # \\ \" \/ \  and anything else: the character itself
      continue
    }
    out = out ch; p++
  }
  QEND = 0; return out
}

# keysplit(c): if the line content c starts a "key: value" entry, sets K (the key) and R (the rest) and
# returns 1
function keysplit(c,   q, rest) {
  if (c ~ /^["']/) {
    q = qparse(c, 1)
    if (!QEND) return 0
    rest = substr(c, QEND)
    if (rest !~ /^[ \t]*:([ \t]|$)/) return 0
    sub(/^[ \t]*:/, "", rest); K = q; R = rest; return 1
  }
  if (c ~ /^[\[{#&*!|>%@`]/ || c ~ /^-([ \t]|$)/) return 0
  if (!match(c, /:([ \t]|$)/)) return 0
  if (substr(c, 1, RSTART - 1) ~ /[ \t]#/) return 0
  K = trim(substr(c, 1, RSTART - 1)); R = substr(c, RSTART + 1); return 1
}

# parse_block(path, parent): the block node on the next lines that are indented more than parent
function parse_block(path, parent,   i, c) {
  skip()
  if (ln > n) return
  i = indent(L[ln]); if (i <= parent) return
  c = substr(L[ln], i + 1)
  if (c ~ /^-([ \t]|$)/) { parse_seq(path, i); return }
  if (keysplit(c)) { parse_map(path, i); return }
  ln++
  value(path, c, parent, 0)
}

function parse_map(path, i,   c, k, keys, p) {
  setv(path "__t", "map"); keys = ""
  while (1) {
    skip(); if (ln > n) break
    if (indent(L[ln]) != i) break
    c = substr(L[ln], i + 1)
    if (!keysplit(c)) break
    k = san(K); p = child(path, k)
    ln++
    if (path == "" && (" " SKIP " ") ~ (" " k " ")) { MUTE = 1; value(p, R, i, 1); MUTE = 0; continue }
    keys = keys (keys == "" ? "" : " ") k
    value(p, R, i, 1)
  }
  setv(path "__k", keys)
}

function parse_seq(path, i,   c, idx, j, rest) {
  setv(path "__t", "seq"); idx = 0
  while (1) {
    skip(); if (ln > n) break
    if (indent(L[ln]) != i) break
    c = substr(L[ln], i + 1)
    if (c !~ /^-([ \t]|$)/) break
    match(c, /^-[ \t]*/); j = RLENGTH; rest = substr(c, j + 1)
    if (rest == "" || rest ~ /^#/) ln++
    else L[ln] = spaces(i + j) rest # re-read the item's content as a block node at its own column
    parse_block(child(path, idx), i)
    idx++
  }
  setn(path "__n", idx)
}

# value(path, r, parent, inmap): the node whose text starts with r (the rest of an already consumed line)
function value(path, r, parent, inmap,   i) {
  r = ltrim(r)
  while (r ~ /^[!&]/) { sub(/^[!&][^ \t]*[ \t]*/, "", r) } # tags and anchors: dropped
  if (r == "" || r ~ /^#/) {
    skip()
    # a sequence may sit at the same indentation as its mapping key
    if (inmap && ln <= n && indent(L[ln]) == parent && substr(L[ln], parent + 1) ~ /^-([ \t]|$)/) {
      parse_seq(path, parent); return
    }
    parse_block(path, parent); return
  }
  if (r ~ /^[|>]/) { blockscalar(path, r, parent); return }
  if (r ~ /^[\[{]/) { flowvalue(path, r); return }
  if (r ~ /^["']/) { quoted(path, r); return }
  plain(path, r, parent)
}

function plain(path, r, parent,   v, l, c) {
  sub(/[ \t]+#.*$/, "", r); v = trim(r)
  # continuation lines: more indented than the parent, up to a blank line
  while (ln <= n) {
    l = L[ln]
    if (l ~ /^[ \t]*$/ || l ~ /^[ \t]*#/ || indent(l) <= parent) break
    c = trim(l)
    if (c ~ /^-([ \t]|$)/ || keysplit(c)) break
    sub(/[ \t]+#.*$/, "", c); v = v " " c; ln++
  }
  setv(path, v)
}

function quoted(path, r,   s, v) {
  s = r; v = qparse(s, 1)
  while (!QEND && ln <= n) { # a quoted scalar over several lines: line breaks fold to spaces
    s = s (s ~ /\\$/ ? "" : " ") trim(L[ln]); ln++
    if (s ~ /\\ $/) sub(/ $/, "", s)
    v = qparse(s, 1)
  }
  setv(path, v)
}

function blockscalar(path, h, parent,   style, chomp, ind, k, ch, m, buf, ci, last, v, t, nl, more, prevmore, first) {
  style = substr(h, 1, 1); chomp = "clip"; ind = 0
  for (k = 2; k <= length(h); k++) {
    ch = substr(h, k, 1)
    if (ch == "-") chomp = "strip"; else if (ch == "+") chomp = "keep"
    else if (ch ~ /[1-9]/) ind = ch + 0; else break
  }
  m = 0
  while (ln <= n) {
    if (L[ln] !~ /^[ ]*$/ && indent(L[ln]) <= parent) break
    buf[++m] = L[ln]; ln++
  }
  ci = -1
  if (ind > 0) ci = (parent < 0 ? 0 : parent) + ind
  else for (k = 1; k <= m; k++) if (buf[k] !~ /^[ ]*$/) { ci = indent(buf[k]); break }
  last = 0
  for (k = 1; k <= m; k++) if (buf[k] !~ /^[ ]*$/) last = k
  v = ""
  if (ci >= 0 && last > 0) {
    first = 1; nl = 0; prevmore = 0
    for (k = 1; k <= last; k++) {
      t = substr(buf[k], ci + 1)
      if (style == "|") { v = v (k > 1 ? "\n" : "") t; continue }
      if (t == "") { nl++; continue }
      more = (t ~ /^[ \t]/)
      if (first) { v = v repeat("\n", nl) t; first = 0 }
      else if (more || prevmore) v = v repeat("\n", nl + 1) t
      else if (nl > 0) v = v repeat("\n", nl) t
      else v = v " " t
      nl = 0; prevmore = more
    }
  }
  if (chomp == "clip" && last > 0) v = v "\n"
  else if (chomp == "keep") v = v repeat("\n", (last > 0 ? 1 : 0) + (m - last))
  setv(path, v)
}
function repeat(s, n,   r) { r = ""; while (n-- > 0) r = r s; return r }

# flow collections: gather the lines until the brackets balance, then scan characters
function flowvalue(path, r,   s) {
  s = r
  while (!balanced(s) && ln <= n) { s = s " " trim(L[ln]); ln++ }
  FT = s; FP = 1; FL = length(s)
  fnode(path)
}
function balanced(s,   p, d, ch, len) {
  d = 0; len = length(s)
  for (p = 1; p <= len; p++) {
    ch = substr(s, p, 1)
    if (ch == "\"" || ch == "'") { qparse(s, p); if (!QEND) return 0; p = QEND - 1; continue }
    if (ch == "#" && p > 1 && substr(s, p - 1, 1) ~ /[ \t]/) break
    if (ch == "[" || ch == "{") d++
    else if (ch == "]" || ch == "}") d--
  }
  return d <= 0
}
function fws() { while (FP <= FL && substr(FT, FP, 1) ~ /[ \t]/) FP++ }
function fnode(path,   ch, idx, k, keys) {
  fws(); ch = substr(FT, FP, 1)
  if (ch == "[") {
    FP++; setv(path "__t", "seq"); idx = 0
    while (FP <= FL) {
      fws(); ch = substr(FT, FP, 1)
      if (ch == "]") { FP++; break }
      fnode(child(path, idx)); idx++
      fws(); ch = substr(FT, FP, 1)
      if (ch == ",") FP++; else { if (ch == "]") FP++; break }
    }
    setn(path "__n", idx); return
  }
  if (ch == "{") {
    FP++; setv(path "__t", "map"); keys = ""
    while (FP <= FL) {
      fws(); ch = substr(FT, FP, 1)
      if (ch == "}") { FP++; break }
      k = san(fscalar()); fws()
      keys = keys (keys == "" ? "" : " ") k
      if (substr(FT, FP, 1) == ":") {
        FP++; fws(); ch = substr(FT, FP, 1)
        if (ch == "," || ch == "}") setv(child(path, k), ""); else fnode(child(path, k))
      } else setv(child(path, k), "")
      fws(); ch = substr(FT, FP, 1)
      if (ch == ",") FP++; else { if (ch == "}") FP++; break }
    }
    setv(path "__k", keys); return
  }
  setv(path, fscalar())
}
function fscalar(   ch, out) {
  fws(); ch = substr(FT, FP, 1)
  if (ch == "\"" || ch == "'") { out = qparse(FT, FP); FP = QEND ? QEND : FL + 1; return out }
  out = ""
  while (FP <= FL) {
    ch = substr(FT, FP, 1)
    if (ch == "," || ch == "]" || ch == "}") break
    if (ch == ":" && (FP == FL || index(" \t,]}", substr(FT, FP + 1, 1)) > 0)) break
    if (ch == "#" && FP > 1 && substr(FT, FP - 1, 1) ~ /[ \t]/) { FP = FL + 1; break }
    out = out ch; FP++
  }
  return trim(out)
}

{ sub(/\r$/, ""); L[++n] = $0 }
END {
  ln = 1
  while (ln <= n) {
    before = ln
    parse_block("", -1)
    skip()
    if (ln == before) ln++ # unparsable line: skip it
  }
}
