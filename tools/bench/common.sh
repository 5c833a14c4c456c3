# Shared by the benchmark scripts (sourced, not run).

# q WORD...: the words shell-quoted readably, so a recorded command can be pasted into bash.
q() {
  local a s="" sq="'"
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then s+="$a "
    elif [[ "$a" != *"$sq"* ]]; then s+="'$a' "
    else a=${a//\\/\\\\}; a=${a//\"/\\\"}; a=${a//\$/\\\$}; a=${a//\`/\\\`}; s+="\"$a\" "
    fi
  done
  printf '%s' "${s% }"
}
