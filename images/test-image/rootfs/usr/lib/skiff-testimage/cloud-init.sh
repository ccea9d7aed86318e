# cloud-init stand-in of the skiff test image, sourced by /etc/init.d/rcS (busybox ash).
#
# Reads a NoCloud seed: a filesystem labelled cidata/CIDATA (ISO9660 or vfat, on a cdrom or any disk) with
# meta-data (instance-id, local-hostname; YAML or JSON) and user-data (#cloud-config, or a #! script).
# Per boot: bootcmd, hostname (user-data hostname/fqdn, else local-hostname), /etc/hosts.
# Once per instance (a new instance-id): fresh SSH host keys, users (the default user "ubuntu" and users:
# entries, with ssh_authorized_keys, groups, sudo, shell, gecos, homedir), root's keys (disable_root),
# write_files, then in the final stage deferred write_files, runcmd and a user-data script.
# State like cloud-init: /var/lib/cloud/{data/instance-id,instances/<id>/sem/*,instance -> instances/<id>},
# /run/cloud-init/{status,result}, logs in /var/log/cloud-init.log and /var/log/cloud-init-output.log.
# Values are read with yaml2sh.awk (see there for the YAML subset): CC_* from user-data, MD_* from meta-data.

CI_VERSION=0.1-skiff-testimage
CI_LIB=/usr/lib/skiff-testimage
CI_RUN=/run/cloud-init
CI_VAR=/var/lib/cloud
CI_LOG=/var/log/cloud-init.log
CI_OUT=/var/log/cloud-init-output.log

ci_log() {
  local t
  read -r t _ </proc/uptime
  echo "cloud-init[$t]: $*"
  echo "cloud-init[$t]: $*" >>"$CI_LOG"
}
ci_error() {
  ci_log "ERROR: $*"
  echo "$*" >>"$CI_RUN/errors"
}
ci_get() { eval "$1=\${CC_$2-}"; }             # ci_get VAR PATH: a user-data value
ci_isset() { eval "[ -n \"\${CC_$1+x}\" ]"; }   # ci_isset PATH
ci_truthy() { case "$1" in true | True | TRUE | yes | Yes | YES | on | On | ON | 1) return 0 ;; esac; return 1; }
ci_falsy() { case "$1" in false | False | FALSE | no | No | NO | off | Off | OFF | 0 | none | None | null | "~") return 0 ;; esac; return 1; }
ci_sem() { # ci_sem NAME: true if NAME has not run yet for this instance (ci_mark NAME records that it did)
  [ ! -e "$CI_INST/sem/$1" ]
}
ci_mark() { date -u +%Y-%m-%dT%H:%M:%SZ >"$CI_INST/sem/$1"; }
ci_shq() { # shell-quote $1
  case "$1" in
    "" | *[!A-Za-z0-9_./=:,+@%^-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
  esac
}

# ------------------------------------------------------------------------------------------ seed
ci_find_seed() { # prints the seed device; waits up to skiff.seedwait= seconds (default 5) for it
  local wait end d l
  wait=$(sed -n 's/.*skiff\.seedwait=\([0-9]*\).*/\1/p' /proc/cmdline)
  end=$(($(cut -d. -f1 /proc/uptime) + ${wait:-5}))
  while :; do
    for l in cidata CIDATA; do d=$(findfs "LABEL=$l" 2>/dev/null) && { echo "$d"; return 0; }; done
    for d in /dev/sr* /dev/vd* /dev/sd* /dev/hd*; do # ISO9660 volume id read directly
      [ -b "$d" ] || continue
      l=$(dd if="$d" bs=1 skip=32808 count=6 2>/dev/null)
      [ "$l" = cidata ] || [ "$l" = CIDATA ] && { echo "$d"; return 0; }
    done
    [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ] && return 1
    sleep 0.1
  done
}

ci_read_seed() { # copies the seed files to $CI_RUN/seed and parses them
  local m=$CI_RUN/seed-mnt f
  mkdir -p "$CI_RUN/seed" "$m"
  CI_SEED=$(ci_find_seed) || { CI_SEED=""; ci_log "no NoCloud seed (no filesystem labelled cidata)"; return 1; }
  if ! mount -t iso9660 -o ro "$CI_SEED" "$m" 2>/dev/null && ! mount -t vfat -o ro "$CI_SEED" "$m" 2>/dev/null; then
    ci_error "cannot mount the seed $CI_SEED"
    CI_SEED=""
    return 1
  fi
  for f in meta-data user-data vendor-data network-config; do [ -f "$m/$f" ] && cp "$m/$f" "$CI_RUN/seed/$f"; done
  umount "$m"
  ci_log "NoCloud seed on $CI_SEED: $(ls "$CI_RUN/seed" | tr '\n' ' ')"
  return 0
}

ci_kind_of() { # ci_kind_of FILE: cloud-config | script | unsupported, from the first line (cloud-init's rule)
  case "$(head -c 64 "$1" | head -1)" in
    "#cloud-config"*) echo cloud-config ;;
    "#!"*) echo script ;;
    *) echo unsupported ;;
  esac
}
ci_user_script() { # ci_user_script FILE: a user-data script, run once per instance in the final stage
  CI_NSCRIPTS=$((CI_NSCRIPTS + 1))
  cp "$1" "$CI_RUN/scripts/part-$(printf %03d "$CI_NSCRIPTS")"
}
ci_cloud_config() { # ci_cloud_config FILE MERGE: merges one #cloud-config part into CC_
  local f=$1 merge=$2 off
  if [ -z "${CC___t:-}" ]; then # the first one is the config
    awk -v P=CC_ -f "$CI_LIB/yaml2sh.awk" "$f" >"$CI_RUN/user-data.sh"
    . "$CI_RUN/user-data.sh"
    CI_UD_KIND=cloud-config
    return
  fi
  case "$merge" in
    *no_replace*) ;;
    *) ci_error "a second cloud-config part without Merge-Type no_replace: ignored (not supported here)"; return ;;
  esac
  # dict(no_replace,recurse_list)+list(...): keys already set stay; a users list is added to (order does not
  # matter to this stand-in, so it goes after)
  off=0
  [ "${CC_users__t:-}" = seq ] && off=${CC_users__n:-0}
  awk -v P=CC_ -v SKIP="$(echo " ${CC___k:-} " | sed 's/ users / /')" -f "$CI_LIB/yaml2sh.awk" "$f" |
    grep -v -e '^CC___t=' -e '^CC___k=' |
    awk -v off="$off" '{
      if (match($0, /^CC_users_[0-9]+/)) $0 = "CC_users_" (substr($0, 10, RLENGTH - 9) + off) substr($0, RLENGTH + 1)
      else if ($0 ~ /^CC_users__n=/) { split($0, a, "="); $0 = "CC_users__n=" (a[2] + off) }
      print }' >"$CI_RUN/user-data-$off.sh"
  . "$CI_RUN/user-data-$off.sh"
}
ci_parse() {
  local d i type cte merge body kind
  : >"$CI_RUN/meta-data.sh"
  : >"$CI_RUN/user-data.sh"
  CI_UD_KIND=none CI_NSCRIPTS=0
  rm -rf "$CI_RUN/scripts"
  mkdir -p "$CI_RUN/scripts"
  [ -f "$CI_RUN/seed/meta-data" ] && awk -v P=MD_ -f "$CI_LIB/yaml2sh.awk" "$CI_RUN/seed/meta-data" >"$CI_RUN/meta-data.sh"
  . "$CI_RUN/meta-data.sh"
  if [ -s "$CI_RUN/seed/user-data" ]; then
    if head -c 4096 "$CI_RUN/seed/user-data" | grep -qi '^mime-version:'; then
      # MIME multipart: each part by its Content-Type (text/plain: by its first line), in order
      d=$CI_RUN/parts
      rm -rf "$d"
      mkdir -p "$d"
      awk -v D="$d" -f "$CI_LIB/mime-split.awk" "$CI_RUN/seed/user-data"
      i=1
      while [ -f "$d/$i.hdr" ]; do
        type="" cte="" merge=""
        . "$d/$i.hdr"
        body=$d/$i.body
        if [ "$cte" = base64 ]; then base64 -d "$body" >"$body.dec" 2>/dev/null || ci_error "part $i: bad base64"; body=$body.dec; fi
        case "$type" in
          text/plain | text/x-not-multipart) kind=$(ci_kind_of "$body") ;;
          text/cloud-config) kind=cloud-config ;;
          text/x-shellscript) kind=script ;;
          *) kind=unsupported ;;
        esac
        case "$kind" in
          cloud-config) ci_cloud_config "$body" "$merge" ;;
          script) ci_user_script "$body"; [ "$CI_UD_KIND" = none ] && CI_UD_KIND=script ;;
          *) ci_error "user-data part $i ($type) is not supported by this image: ignored" ;;
        esac
        i=$((i + 1))
      done
    else
      case "$(ci_kind_of "$CI_RUN/seed/user-data")" in
        cloud-config) ci_cloud_config "$CI_RUN/seed/user-data" "" ;;
        script) CI_UD_KIND=script; ci_user_script "$CI_RUN/seed/user-data" ;;
        *) CI_UD_KIND=unsupported; ci_error "user-data is neither #cloud-config nor a #! script: ignored" ;;
      esac
    fi
  fi
  # vendor-data (#cloud-config; Multipass puts the SSH keys there): its top-level keys that user-data does not
  # have, like cloud-init's default merge
  : >"$CI_RUN/vendor-data.sh"
  if [ -s "$CI_RUN/seed/vendor-data" ] && head -1 "$CI_RUN/seed/vendor-data" | grep -q '^#cloud-config'; then
    awk -v P=CC_ -v SKIP="${CC___k:-}" -f "$CI_LIB/yaml2sh.awk" "$CI_RUN/seed/vendor-data" |
      grep -v -e '^CC___t=' -e '^CC___k=' >"$CI_RUN/vendor-data.sh"
    . "$CI_RUN/vendor-data.sh"
  fi
}

# ------------------------------------------------------------------------------------------ users
ci_uid_free() { ! awk -F: -v u="$1" '$3 == u {f = 1} END {exit !f}' /etc/passwd /etc/group; }
ci_next_id() { # ci_next_id FROM: the first id >= FROM used by no user and no group
  local id=$1
  while ! ci_uid_free "$id"; do id=$((id + 1)); done
  echo "$id"
}
ci_add_group() { # ci_add_group NAME: a system group, if missing
  grep -q "^$1:" /etc/group && return 0
  echo "$1:x:$(ci_next_id 100):" >>/etc/group
  ci_log "created group $1"
}
ci_group_member() { # ci_group_member GROUP USER
  ci_add_group "$1"
  awk -F: -v OFS=: -v g="$1" -v u="$2" '
    $1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) { print; next }
              $4 = ($4 == "" ? u : $4 "," u) }
    { print }' /etc/group >/etc/group.new && mv /etc/group.new /etc/group
}
ci_add_user() { # ci_add_user NAME GECOS HOME SHELL UID
  local name=$1 gecos=$2 home=${3:-/home/$1} shell=${4:-/bin/sh} uid=$5 gid
  case "$name" in "" | -* | *[!A-Za-z0-9_.-]*) ci_error "invalid user name '$name'"; return 1 ;; esac
  if grep -q "^$name:" /etc/passwd; then return 0; fi
  [ -n "$uid" ] || uid=$(ci_next_id 1000)
  gid=$(awk -F: -v g="$name" '$1 == g {print $3}' /etc/group)
  [ -n "$gid" ] || { gid=$uid; echo "$name:x:$gid:" >>/etc/group; }
  echo "$name:*:$uid:$gid:${gecos:-$name}:$home:$shell" >>/etc/passwd
  mkdir -p "$home"
  chown "$uid:$gid" "$home"
  chmod 0750 "$home"
  ci_log "created user $name ($uid:$gid, $home, $shell)"
}
ci_home() { awk -F: -v u="$1" '$1 == u {print $6}' /etc/passwd; }
ci_add_keys() { # ci_add_keys USER OPTIONS < keys (one a line): appends the missing ones to authorized_keys
  local user=$1 opts=$2 home ak k n=0
  home=$(ci_home "$user")
  [ -n "$home" ] || { ci_error "no user $user for SSH keys"; return 1; }
  mkdir -p "$home/.ssh"
  ak=$home/.ssh/authorized_keys
  touch "$ak"
  while IFS= read -r k; do
    [ -n "$k" ] || continue
    [ -n "$opts" ] && k="$opts $k"
    grep -qxF -- "$k" "$ak" || { echo "$k" >>"$ak"; n=$((n + 1)); }
  done
  chmod 0700 "$home/.ssh"
  chmod 0600 "$ak"
  chown -R "$user:" "$home/.ssh" 2>/dev/null || chown -R "$user" "$home/.ssh"
  ci_log "$n SSH key(s) added for $user"
}
ci_keys_of() { # ci_keys_of PATH: the keys of a ssh_authorized_keys node (a list or one string), one a line
  local t n i k
  ci_get t "$1__t"
  if [ "$t" = seq ]; then
    ci_get n "$1__n"
    i=0
    while [ "$i" -lt "${n:-0}" ]; do
      ci_get k "$1_$i"
      printf '%s\n' "$k"
      i=$((i + 1))
    done
  elif ci_isset "$1"; then
    ci_get k "$1"
    printf '%s\n' "$k"
  fi
}
ci_list_of() { # ci_list_of PATH: a list or a comma-separated string, space-separated
  local t n i v out=""
  ci_get t "$1__t"
  if [ "$t" = seq ]; then
    ci_get n "$1__n"
    i=0
    while [ "$i" -lt "${n:-0}" ]; do ci_get v "$1_$i"; out="$out $v"; i=$((i + 1)); done
  else
    ci_get v "$1"
    out=$(echo "$v" | tr ',' ' ')
  fi
  echo $out
}
ci_sudo_rules() { # ci_sudo_rules USER PATH: the sudo rules of a user entry into /etc/sudoers.d
  local user=$1 t v n i rules=""
  ci_get t "$2__t"
  if [ "$t" = seq ]; then
    ci_get n "$2__n"
    i=0
    while [ "$i" -lt "${n:-0}" ]; do ci_get v "$2_$i"; rules="$rules$user $v
"; i=$((i + 1)); done
  elif ci_isset "$2"; then
    ci_get v "$2"
    ci_falsy "$v" && return 0
    ci_truthy "$v" && v="ALL=(ALL) NOPASSWD:ALL"
    rules="$user $v
"
  fi
  [ -n "$rules" ] || return 0
  {
    [ -s /etc/sudoers.d/90-cloud-init-users ] || printf '# Created by cloud-init v. %s\n' "$CI_VERSION"
    printf '\n# User rules for %s\n%s' "$user" "$rules"
  } >>/etc/sudoers.d/90-cloud-init-users
  chmod 0440 /etc/sudoers.d/90-cloud-init-users
}
ci_setup_user() { # ci_setup_user PATH NAME: a users: entry (mapping at PATH), or the default user (PATH "")
  local p=$1 name=$2 gecos="" home="" shell="" uid="" g
  if [ -n "$p" ]; then
    ci_get gecos "${p}_gecos"
    ci_get home "${p}_homedir"
    ci_get shell "${p}_shell"
    ci_get uid "${p}_uid"
  fi
  [ "$name" = "$CI_DEFAULT_USER" ] && { gecos=${gecos:-$CI_DEFAULT_GECOS}; shell=${shell:-$CI_DEFAULT_SHELL}; }
  ci_add_user "$name" "$gecos" "$home" "$shell" "$uid" || return 0
  if [ "$name" = "$CI_DEFAULT_USER" ] && [ -z "$p" ]; then
    for g in $CI_DEFAULT_GROUPS; do ci_group_member "$g" "$name"; done
    printf '# Created by cloud-init v. %s\n\n# User rules for %s\n%s ALL=(ALL) NOPASSWD:ALL\n' \
      "$CI_VERSION" "$name" "$name" >/etc/sudoers.d/90-cloud-init-users
    chmod 0440 /etc/sudoers.d/90-cloud-init-users
  fi
  if [ -n "$p" ]; then
    for g in $(ci_list_of "${p}_groups"); do ci_group_member "$g" "$name"; done
    [ "$name" = "$CI_DEFAULT_USER" ] || ci_sudo_rules "$name" "${p}_sudo"
    ci_keys_of "${p}_ssh_authorized_keys" | ci_add_keys "$name" ""
  fi
}
ci_users() {
  local kind t n i v name want_default=1 disable_root opts
  CI_DEFAULT_USER=ubuntu CI_DEFAULT_GECOS=Ubuntu CI_DEFAULT_SHELL=/bin/sh CI_DEFAULT_GROUPS="adm cdrom dip sudo"
  ci_get v system_info_default_user_name
  [ -n "$v" ] && CI_DEFAULT_USER=$v
  ci_get kind users__t
  if [ "$kind" = seq ]; then
    want_default=0
    ci_get n users__n
    i=0
    while [ "$i" -lt "${n:-0}" ]; do
      ci_get t "users_${i}__t"
      if [ "$t" = map ]; then ci_get v "users_${i}_name"; else ci_get v "users_$i"; fi
      [ "$v" = default ] || [ "$v" = "$CI_DEFAULT_USER" ] && want_default=1
      i=$((i + 1))
    done
  elif ci_isset users; then
    ci_get v users
    case ",$(echo "$v" | tr -d ' ')," in *,default,*) ;; *) want_default=0 ;; esac
  fi
  if [ $want_default = 1 ]; then
    ci_setup_user "" "$CI_DEFAULT_USER"
    ci_keys_of ssh_authorized_keys | ci_add_keys "$CI_DEFAULT_USER" ""
  fi
  if [ "$kind" = seq ]; then
    i=0
    while [ "$i" -lt "${n:-0}" ]; do
      ci_get t "users_${i}__t"
      if [ "$t" = map ]; then
        ci_get v "users_${i}_name"
        if [ -n "$v" ]; then ci_setup_user "users_$i" "$v"; else ci_error "users[$i] has no name"; fi
      fi
      i=$((i + 1))
    done
  fi
  # root: the default user's keys (top level ssh_authorized_keys), behind a "log in as ubuntu" command
  # unless disable_root is false
  ci_get disable_root disable_root
  opts=""
  if ! ci_falsy "${disable_root:-true}"; then
    name=$CI_DEFAULT_USER
    [ $want_default = 1 ] || name=NONE
    # (cloud-init's text, without the inner double quotes, which dropbear would not unescape)
    opts="no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user $name rather than the user root.';echo;sleep 10;exit 142\""
  fi
  ci_keys_of ssh_authorized_keys | ci_add_keys root "$opts"
}

# ------------------------------------------------------------------------------------------ write_files
ci_write_files() { # ci_write_files DEFERRED(0|1)
  local n i p path enc perms owner append defer content dir tmp
  ci_get n write_files__n
  i=0
  while [ "$i" -lt "${n:-0}" ]; do
    p=write_files_$i
    i=$((i + 1))
    ci_get defer "${p}_defer"
    if ci_truthy "$defer"; then [ "$1" = 1 ] || continue; else [ "$1" = 0 ] || continue; fi
    ci_get path "${p}_path"
    [ -n "$path" ] || { ci_error "write_files[$((i - 1))] has no path"; continue; }
    ci_get enc "${p}_encoding"
    ci_get perms "${p}_permissions"
    ci_get owner "${p}_owner"
    ci_get append "${p}_append"
    ci_get content "${p}_content"
    dir=$(dirname "$path")
    mkdir -p "$dir"
    tmp=$path.cloud-init.$$
    if ci_truthy "$append" && [ -f "$path" ]; then cp -p "$path" "$tmp"; else : >"$tmp"; fi
    case "$enc" in
      b64 | base64) printf '%s' "$content" | base64 -d >>"$tmp" ;;
      gz | gzip) printf '%s' "$content" | gzip -dc >>"$tmp" ;;
      gz+b64 | gz+base64 | gzip+b64 | gzip+base64) printf '%s' "$content" | base64 -d | gzip -dc >>"$tmp" ;;
      "" | text/plain) printf '%s' "$content" >>"$tmp" ;;
      *) ci_error "write_files $path: unknown encoding $enc"; rm -f "$tmp"; continue ;;
    esac || { ci_error "write_files $path: cannot decode ($enc)"; rm -f "$tmp"; continue; }
    chmod "${perms:-0644}" "$tmp" || ci_error "write_files $path: bad permissions $perms"
    chown "${owner:-root:root}" "$tmp" || ci_error "write_files $path: bad owner $owner"
    mv -f "$tmp" "$path"
    ci_log "wrote $path"
  done
}

# ------------------------------------------------------------------------------------------ scripts
ci_script_of() { # ci_script_of KEY: a runcmd/bootcmd list as a shell script (strings as they are, lists quoted)
  local key=$1 n i t m j a line
  ci_get n "${key}__n"
  echo '#!/bin/sh'
  i=0
  while [ "$i" -lt "${n:-0}" ]; do
    ci_get t "${key}_${i}__t"
    if [ "$t" = seq ]; then
      ci_get m "${key}_${i}__n"
      j=0 line=""
      while [ "$j" -lt "${m:-0}" ]; do
        ci_get a "${key}_${i}_$j"
        line="$line${line:+ }$(ci_shq "$a")"
        j=$((j + 1))
      done
      printf '%s\n' "$line"
    else
      ci_get a "${key}_$i"
      printf '%s\n' "$a"
    fi
    i=$((i + 1))
  done
}
ci_run() { # ci_run NAME SCRIPT: runs a script, output to cloud-init-output.log and the console
  local rc
  ci_log "running $1"
  (cd / && HOME=/root "$2") >>"$CI_OUT" 2>&1 </dev/null
  rc=$?
  [ $rc = 0 ] || ci_error "$1 failed with exit status $rc (output in $CI_OUT)"
  return $rc
}

# ------------------------------------------------------------------------------------------ host keys
ci_host_keys() { # (re)makes missing host keys in the background; ci_wait_host_keys waits for them
  local t
  mkdir -p /etc/dropbear
  rm -f /run/skiff/hostkeys.done
  (
    for t in ed25519 ecdsa; do
      [ -s "/etc/dropbear/dropbear_${t}_host_key" ] ||
        dropbearkey -t "$t" -f "/etc/dropbear/dropbear_${t}_host_key" >/dev/null 2>&1
    done
    : >/run/skiff/hostkeys.done
  ) &
}
ci_given_host_keys() { # ssh_keys: {ed25519_private: OpenSSH PEM}: installed as dropbear's ed25519 host key
  local v tmp=/run/skiff/ed25519.openssh
  ci_get v ssh_keys_ed25519_private
  [ -n "$v" ] || return 0
  mkdir -p /etc/dropbear /run/skiff
  (umask 077 && printf '%s\n' "$v" >"$tmp")
  if dropbearconvert openssh dropbear "$tmp" /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1; then
    ci_log "host key ed25519 from ssh_keys"
  else
    ci_error "ssh_keys.ed25519_private: not an OpenSSH ed25519 key dropbear can read"
  fi
  rm -f "$tmp"
}
ci_wait_host_keys() {
  local i=0
  while [ ! -e /run/skiff/hostkeys.done ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
}
ci_print_host_keys() {
  local t
  echo "-----BEGIN SSH HOST KEY KEYS-----"
  for t in ed25519 ecdsa; do
    dropbearkey -y -f "/etc/dropbear/dropbear_${t}_host_key" 2>/dev/null | grep -E '^(ssh-|ecdsa-)' | cut -d' ' -f1-2
  done
  echo "-----END SSH HOST KEY KEYS-----"
}

# ------------------------------------------------------------------------------------------ stages
ci_init() {
  local iid prev hn fqdn v f
  mkdir -p "$CI_RUN" "$CI_VAR/data" "$CI_VAR/instances"
  echo running >"$CI_RUN/status"
  rm -f "$CI_RUN/result" "$CI_RUN/errors" "$CI_VAR/instance/boot-finished"
  ci_log "Cloud-init v. $CI_VERSION running 'init' at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Up $(cut -d' ' -f1 /proc/uptime) seconds."
  ci_read_seed
  ci_parse

  # instance: the seed's instance-id; without a seed the previous instance goes on
  prev=$(cat "$CI_VAR/data/instance-id" 2>/dev/null)
  iid=${MD_instance_id:-}
  [ -n "$iid" ] || iid=${prev:-iid-datasource-none}
  CI_INST=$CI_VAR/instances/$(printf '%s' "$iid" | tr -c 'A-Za-z0-9._-' '_')
  mkdir -p "$CI_INST/sem" "$CI_INST/scripts"
  ln -sfn "instances/${CI_INST##*/}" "$CI_VAR/instance"
  if [ "$iid" != "$prev" ]; then
    ci_log "new instance $iid (previous: ${prev:-none})"
    [ -n "$prev" ] && echo "$prev" >"$CI_VAR/data/previous-instance-id"
    echo "$iid" >"$CI_VAR/data/instance-id"
  fi
  [ -n "$CI_SEED" ] && cp "$CI_RUN/seed/"* "$CI_INST/" 2>/dev/null
  if [ -n "$CI_SEED" ]; then v="DataSourceNoCloud [seed=$CI_SEED]"; else v=DataSourceNone; fi
  echo "$v" >"$CI_VAR/instance/datasource"

  # host keys: new ones for a new instance (cloud-init's ssh_deletekeys), made while the rest goes on
  if ci_sem config_ssh_host_keys; then
    rm -f /etc/dropbear/dropbear_*_host_key
    ci_given_host_keys
    ci_mark config_ssh_host_keys
  fi
  ci_host_keys

  # bootcmd: every boot
  if [ "${CC_bootcmd__t:-}" = seq ]; then
    ci_script_of bootcmd >"$CI_RUN/bootcmd"
    chmod 0755 "$CI_RUN/bootcmd"
    ci_run bootcmd "$CI_RUN/bootcmd"
  fi

  # hostname: every boot
  ci_get v preserve_hostname
  if ! ci_truthy "$v"; then
    ci_get fqdn fqdn
    ci_get hn hostname
    [ -n "$hn" ] || hn=${fqdn:-${MD_local_hostname:-}}
    [ -n "$fqdn" ] || case "$hn" in *.*) fqdn=$hn ;; esac
    hn=${hn%%.*}
    if [ -n "$hn" ]; then
      hostname "$hn"
      [ "$(cat /etc/hostname 2>/dev/null)" = "$hn" ] || echo "$hn" >/etc/hostname
      ci_log "hostname $hn"
    fi
  fi
  hn=$(hostname)
  {
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
    printf '127.0.1.1\t%s%s\n' "${fqdn:+$fqdn }" "$hn"
  } >/etc/hosts

  # once per instance (marked when done: a boot cut short does these again, they are idempotent)
  if ci_sem config_users_groups; then ci_users; ci_mark config_users_groups; fi
  if ci_sem config_write_files; then ci_write_files 0; ci_mark config_write_files; fi
  if ci_sem config_runcmd; then
    if [ "${CC_runcmd__t:-}" = seq ]; then
      ci_script_of runcmd >"$CI_INST/scripts/runcmd"
      chmod 0700 "$CI_INST/scripts/runcmd"
    fi
    for f in "$CI_RUN"/scripts/part-*; do
      [ -f "$f" ] || continue
      cp "$f" "$CI_INST/scripts/${f##*/}"
      chmod 0700 "$CI_INST/scripts/${f##*/}"
    done
    ci_mark config_runcmd
  fi
  for v in packages package_update package_upgrade apt snap mounts chpasswd password ssh_pwauth power_state; do
    ci_isset "$v" || ci_isset "${v}__t" && ci_log "note: '$v' is not supported by this image: ignored"
  done
}

ci_final() {
  local f up
  if ci_sem config_write_files_deferred; then ci_write_files 1; ci_mark config_write_files_deferred; fi
  if ci_sem config_scripts_user; then
    ci_mark config_scripts_user # before running: never twice, even if this boot is cut short
    sync
    for f in "$CI_INST/scripts/runcmd" "$CI_INST"/scripts/part-*; do
      [ -x "$f" ] && ci_run "${f##*/}" "$f"
    done
  fi
  read -r up _ </proc/uptime
  echo "$up - $(date -u '+%a, %d %b %Y %H:%M:%S +0000') - v. $CI_VERSION" >"$CI_VAR/instance/boot-finished"
  sync
  f="done"
  [ -s "$CI_RUN/errors" ] && f="error"
  echo "$f" >"$CI_RUN/result"
  echo "$f" >"$CI_RUN/status"
  ci_log "Cloud-init v. $CI_VERSION finished at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Datasource $(cat "$CI_VAR/instance/datasource"). Up $up seconds"
}
