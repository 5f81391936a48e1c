# @summary The command part of a crontab line that runs COMMAND under cronguard.
#
# Options come in a fixed order: -n, --splay, --splay-slot, --vip, --lock or --lock-file,
# --timeout, --label (sorted by key), --pushgateway, --ping, then `options` as given, then
# `--` and the command's words, or `--command` and the shell text. The `environment` entries
# come first, as NAME=VALUE words of this line alone. Every value is quoted with
# cronguard::quote.
#
# @param job The job name (-n).
# @param command An array is the command's argv, each word quoted; a string is shell text,
#   run inside the guard with `--command` (quoted, with `%` escaped for cron), so that its
#   pipes, redirections and lists only happen when the run does.
# @param settings The other settings of cronguard::job: splay, splay_slot, vip, lock,
#   lock_file, timeout, labels, pushgateway, ping, options, environment, binary.
# @return [String] e.g. `cronguard -n backup --splay 10m --lock -- /usr/local/bin/backup.sh`
function cronguard::command(
  String[1] $job,
  Variant[String[1], Array[String, 1]] $command,
  Hash $settings = {},
) >> String {
  $s = { 'vip' => [], 'lock' => false, 'labels' => {}, 'options' => [], 'environment' => [],
         'binary' => 'cronguard' } + $settings
  $opts = flatten([
    ['-n', $job],
    $s['splay'] ? { undef => [], default => ['--splay', $s['splay']] },
    $s['splay_slot'] ? { undef => [], default => ['--splay-slot', $s['splay_slot']] },
    $s['vip'].map |$a| { ['--vip', $a] },
    $s['lock_file'] ? {
      undef   => $s['lock'] ? { true => ['--lock'], default => [] },
      default => ['--lock-file', $s['lock_file']],
    },
    $s['timeout'] ? { undef => [], default => ['--timeout', $s['timeout']] },
    $s['labels'].keys.sort.map |$k| { ['--label', "${k}=${s['labels'][$k]}"] },
    $s['pushgateway'] ? { undef => [], default => ['--pushgateway', $s['pushgateway']] },
    $s['ping'] ? { undef => [], default => ['--ping', $s['ping']] },
    $s['options'],
  ])
  $run = $command ? {
    Array   => "-- ${command.map |$w| { cronguard::quote($w) }.join(' ')}",
    default => "--command ${cronguard::quote($command)}",
  }
  # NAME=VALUE before the program: the shell sets it for this command only. The name stays
  # bare (a quoted one would be taken as the program), the value is quoted.
  $env = $s['environment'].map |$e| {
    $name = $e.split('=')[0]
    "${name}=${cronguard::quote(regsubst($e, '\\A[^=]*=', ''))}"
  }
  $words = ([$s['binary']] + $opts).map |$w| { cronguard::quote($w) }
  ($env + $words + [$run]).join(' ')
}
