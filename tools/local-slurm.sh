#!/usr/bin/env bash
# A one-node Slurm on this machine, for tests and for trying docs/CLUSTER.md by hand.
#
#   tools/local-slurm.sh start [DIR]   # prints the line to source: export SLURM_CONF=DIR/slurm.conf
#   tools/local-slurm.sh stop  [DIR]
#   tools/local-slurm.sh status [DIR]
#
# Everything lives in DIR (default /tmp/headbench-slurm): its own munge key and socket, slurm.conf,
# state, spool, logs and pid files, on ports of its own, so it neither needs nor touches a system
# Slurm or /etc/munge. Needs Debian's slurm-wlm and munge (tools/install-deps.sh installs them) and
# root, as slurmd does: it starts job steps as the submitting user. Exit code 77 (the CTest skip
# code) when slurm-wlm or munge is absent or the daemons cannot be run here.
set -euo pipefail

cmd=${1:-}
dir=${2:-/tmp/headbench-slurm}
node=headbench-node

skip() { echo "local-slurm: $*" >&2; exit 77; }

need_tools() {
    local t
    for t in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
        command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || skip "$t is not installed (apt-get install slurm-wlm munge)"
    done
    [ "$(id -u)" = 0 ] || skip "slurmd must run as root to start jobs (run as root)"
}

pidof_file() { [ -s "$1" ] && cat "$1" || true; }

stop() {
    local f pid
    for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
        pid=$(pidof_file "$f")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$f"
    done
}

# Two free TCP ports, for slurmctld and slurmd.
free_ports() {
    /usr/bin/python3 - <<'EOF'
import socket
ports = []
socks = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); socks.append(s)
print(*ports)
EOF
}

start() {
    need_tools
    stop
    rm -rf "$dir"
    mkdir -p "$dir"/{state,spool,munge}
    chmod 700 "$dir/munge"
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    /usr/sbin/munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
        --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
        || skip "munged does not start here (see $dir/munged.log)"

    read -r ctld_port d_port < <(free_ports)
    local cpus mem
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 4 ))
    cat >"$dir/slurm.conf" <<EOF
ClusterName=headbench
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
JobRequeue=1
MaxArraySize=1001
MinJobAge=300
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    export SLURM_CONF="$dir/slurm.conf"
    /usr/sbin/slurmctld -c -f "$SLURM_CONF" || skip "slurmctld does not start (see $dir/slurmctld.log)"
    /usr/sbin/slurmd -c -f "$SLURM_CONF" -N "$node" || skip "slurmd does not start (see $dir/slurmd.log)"
    # Ready when the node is idle.
    local state=""
    for _ in $(seq 100); do
        state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.2
    done
    if [ "$state" != idle ]; then
        scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
        sleep 1
        state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    fi
    [ "$state" = idle ] || { stop; skip "the node did not come up (state '$state'; see $dir/slurmctld.log, $dir/slurmd.log)"; }
    echo "export SLURM_CONF=$SLURM_CONF"
}

case "$cmd" in
start) start ;;
stop) stop ;;
status)
    export SLURM_CONF="$dir/slurm.conf"
    sinfo && squeue
    ;;
*)
    echo "usage: $0 start|stop|status [DIR]" >&2
    exit 2
    ;;
esac
