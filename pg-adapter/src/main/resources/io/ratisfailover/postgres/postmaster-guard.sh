#!/bin/bash
# postmaster-guard DATA_DIRECTORY MEMBER
#
# Stops the PostgreSQL server of DATA_DIRECTORY at once (SIGQUIT: immediate shutdown, the postmaster
# and its backends exit) when the agent that feeds this guard can no longer fence it itself:
#   - armed and the deadline passes without a new one (agent frozen: SIGSTOP, a long GC pause);
#   - armed and standard input closes (agent dead: kill -9, OOM, crash; the kernel closes the pipe).
# Disarmed, a closed input only ends the guard: a standby keeps running without its agent.
#
# Input, one command per line: "arm DEADLINE" sets the deadline (arming or keeping alive), "disarm"
# drops it. DEADLINE is absolute, in centiseconds of /proc/uptime (monotonic, 10 ms steps), which
# the agent reads too: a keep-alive that sat in the pipe does not move the deadline later. Only
# bash builtins run in the loop: no fork can fail or stall under memory pressure.
set -u
datadir=$1
member=$2
deadline=        # centiseconds of uptime; empty while disarmed

trap '' INT HUP  # a terminal's signals are for the agent; this guard ends with its input
echo -1000 2>/dev/null > /proc/self/oom_score_adj  # the OOM killer picks the agent, not its guard

say() {
  local now=$EPOCHREALTIME
  local frac=${now#*[.,]}
  printf '%(%Y-%m-%d %H:%M:%S)T.%s postmaster-guard %s (member %s): %s\n' "${now%[.,]*}" "${frac:0:3}" "$BASHPID" \
    "$member" "$*"
}

uptime_cs() {
  local up rest
  read -r up rest < /proc/uptime
  now=$((10#${up/./}))
}

# SIGQUIT to the postmaster named by postmaster.pid if it works in this data directory (a recycled
# PID does not), then to every other process working there: backends orphaned by an earlier kill
# of the postmaster keep serving their sessions.
fence() {
  local pid= proc
  { read -r pid < "$datadir/postmaster.pid"; } 2>/dev/null
  if [[ $pid =~ ^[0-9]+$ && /proc/$pid/cwd -ef $datadir ]]; then
    kill -QUIT "$pid" 2>/dev/null
  fi
  for proc in /proc/[0-9]*; do
    if [[ $proc/cwd -ef $datadir && ${proc#/proc/} != "$pid" ]]; then
      kill -QUIT "${proc#/proc/}" 2>/dev/null
    fi
  done
  say "fenced the server in $datadir (postmaster ${pid:-none}): $1"
  deadline=
}

say "watching $datadir, disarmed"
while true; do
  if [[ -n $deadline ]]; then
    uptime_cs
    left=$((deadline - now))
    if ((left <= 0)); then
      fence "no keep-alive from the agent before the deadline"
      continue
    fi
    printf -v wait '%d.%02d' $((left / 100)) $((left % 100))
    read -r -t "$wait" command arg
  else
    read -r command arg
  fi
  status=$?
  if ((status > 128)); then
    continue  # timed out: the loop checks the deadline
  elif ((status != 0)); then
    if [[ -n $deadline ]]; then
      fence "the agent's pipe closed while armed (agent dead)"
    fi
    say "the agent's pipe closed; exiting"
    exit 0
  fi
  case $command in
    arm)
      if [[ $arg =~ ^[0-9]+$ ]]; then
        deadline=$((10#$arg))
      else
        say "ignoring a malformed command: arm $arg"
      fi
      ;;
    disarm)
      deadline=
      ;;
    *)
      say "ignoring an unknown command: $command"
      ;;
  esac
done
