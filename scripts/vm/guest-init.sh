#!/bin/sh
# PID 1 of the netlinkjs test VM (started by scripts/vm/run). The kernel has mounted the host's
# root over 9p, read-only. We mount what a command needs to write, run the one command that
# scripts/vm/run left in the control share, write its exit status there and power off.
#
# Consoles: /dev/hvc0 and /dev/hvc1 reach the host's stdout and stderr; ttyS0 is the kernel's.

ctl=/dev/.netlinkjs-vm
ctl_tag=nljsctl

# Our own diagnostics go to the host's stderr. PID 1 must never exit (the kernel would panic
# before the host learns why), so every path ends in power_off.
exec </dev/null >/dev/hvc1 2>&1

power_off() {
  echo o >/proc/sysrq-trigger
  sleep 30
}

fail() {
  echo "netlinkjs VM init: $*"
  echo 125 >"$ctl/status" 2>/dev/null
  power_off
}

# Mounts a fresh tmpfs on $1 (mode $2). When the command's directory lies under $1 (a checkout in
# /tmp, say), the top directory holding it is carried over with a bind mount so it stays visible.
mount_tmpfs_keeping_cwd() {
  keep=
  case $NLJS_CWD in
    "$1"/*)
      rest=${NLJS_CWD#"$1"/}
      keep=$1/${rest%%/*}
      ;;
  esac
  if [ -n "$keep" ]; then
    mkdir -p /dev/.nljs-keep && mount -n --bind "$keep" /dev/.nljs-keep || fail "cannot bind $keep"
  fi
  mount -t tmpfs -o "mode=$2" tmpfs "$1" || fail "cannot mount tmpfs on $1"
  if [ -n "$keep" ]; then
    mkdir -p "$keep" && mount -n --move /dev/.nljs-keep "$keep" || fail "cannot restore $keep"
  fi
}

# Called from the config's extra_mounts: a host directory shared read-write at the same path.
mount_share() {
  [ -d "$2" ] || mkdir -p "$2"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 "$1" "$2" ||
    fail "cannot mount the shared directory $2"
}

# Called from the config's extra_mounts: an empty, writable directory (a cache, say).
mount_tmpfs() {
  [ -d "$1" ] || mkdir -p "$1"
  mount -t tmpfs tmpfs "$1" || fail "cannot mount tmpfs on $1"
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
# The control share sits on /dev (the kernel's devtmpfs, writable) so that nothing we mount later
# can hide it, and so that its config (which names the command's directory) is read first.
mkdir -p "$ctl" /dev/shm /dev/pts
mount -t 9p -o trans=virtio,version=9p2000.L "$ctl_tag" "$ctl" || fail "cannot mount the control share"
. "$ctl/config" || fail "cannot read $ctl/config"

mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
mount_tmpfs_keeping_cwd /tmp 1777
mount_tmpfs_keeping_cwd /run 755
mkdir -p /run/netns /run/host-etc /tmp/home
# /etc gets new entries written by tests and `ip netns` (/etc/netns/NAME). It becomes a tmpfs
# holding a link to each of the host's entries (copying /etc over 9p would take many seconds);
# the host's symlinks are copied as they are, since relative ones must resolve from /etc.
mount -n --bind /etc /run/host-etc || fail "cannot bind /etc"
mount -t tmpfs -o mode=755 tmpfs /etc || fail "cannot mount tmpfs on /etc"
find /run/host-etc -mindepth 1 -maxdepth 1 \( -type l -exec cp -P -t /etc {} + \) -o -exec ln -s -t /etc {} +
# netdevsim's max_vfs knob lives in debugfs.
mount -t debugfs debugfs /sys/kernel/debug
# The --share and --tmpfs mounts asked for on the host.
extra_mounts

# hvc consoles reset their settings when the last descriptor closes: hold hvc0 open (hvc1 is ours).
exec 3>/dev/hvc0
for tty in /dev/hvc0 /dev/hvc1; do
  # The host's end is not a terminal that wants CR LF (ours is, if any); keep the bytes as written.
  stty -F "$tty" -onlcr -echo ${NLJS_ROWS:+rows "$NLJS_ROWS"} ${NLJS_COLS:+cols "$NLJS_COLS"}
done
ip link set lo up || fail "cannot bring lo up"

# Where the host's stream is not a terminal, the command writes into a pipe (copied to the console)
# so that it, too, sees no terminal. The copies must end before we power off.
out=/dev/hvc0
err=/dev/hvc1
pumps=
if [ "$NLJS_TTY_OUT" != 1 ]; then
  out=/run/nljs-out
  mkfifo "$out" || fail "cannot make $out"
  cat "$out" >/dev/hvc0 &
  pumps="$pumps $!"
fi
if [ "$NLJS_TTY_ERR" != 1 ]; then
  err=/run/nljs-err
  mkfifo "$err" || fail "cannot make $err"
  cat "$err" >/dev/hvc1 &
  pumps="$pumps $!"
fi

# Tells the host the command has started: a VM that dies before this may be booted again.
: >"$ctl/started" || fail "cannot write to the control share"
env -i /bin/sh "$ctl/command.sh" >"$out" 2>"$err" 3>&-
status=$?

# Background processes the command left behind may hold the pipes open: give the copies 5 s to
# see end-of-file, then stop them.
if [ -n "$pumps" ]; then
  (sleep 5; kill $pumps 2>/dev/null) &
  wait $pumps 2>/dev/null
fi
# Let the consoles drain to the host before the power goes.
stty -F /dev/hvc0 -onlcr
stty -F /dev/hvc1 -onlcr
echo "$status" >"$ctl/status" || fail "cannot write the exit status"
power_off
