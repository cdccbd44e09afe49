# Sourced by the jobs benchmarks: installs the Debian packages they compare against when missing.
#   need_tools hyperfine parallel
need_tools() {
    local missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} from Debian's packages" >&2
        apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null \
            || { echo "could not install ${missing[*]}; install them (apt-get install -y ${missing[*]}) and run again" >&2; exit 1; }
    fi
}
