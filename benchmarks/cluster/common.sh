# Sourced by the cluster scripts: a Debian package installed when missing, a scratch folder whose processes die with
# the script, and a free localhost port.
#   need_package PACKAGE CHECK...   installs PACKAGE unless the command CHECK... succeeds
#   pids+=($!)                      a background process to kill on exit; $work is the scratch folder
#   free_port                       prints a free TCP port on 127.0.0.1
need_package() {
    local package=$1 sudo=
    shift
    "$@" >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing $package from Debian's packages" >&2
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "$package" >/dev/null \
        || { echo "could not install $package; install it (apt-get install -y $package) and run again" >&2; exit 1; }
}

work=$(mktemp -d)
pids=()
cleanup() {
    { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait; } 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
