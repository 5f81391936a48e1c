# @summary The command part of a crontab line that runs COMMAND under cronguard.
#
# Options come in a fixed order: -n, --splay, --vip, --lock or --lock-file, --timeout, --label
# (sorted by key), --pushgateway, --ping, then `options` as given, then `--` and the command.
# Every value is quoted with cronguard::quote.
#
# @param job The job name (-n).
# @param command An array is the command's argv, each word quoted; a string is shell text put in
#   the line as it is, with only `%` escaped for cron.
# @param settings The other settings of cronguard::job: splay, vip, lock, lock_file, timeout,
#   labels, pushgateway, ping, options, binary.
# @return [String] e.g. `cronguard -n backup --splay 10m --lock -- /usr/local/bin/backup.sh`
function cronguard::command(
  String[1] $job,
  Variant[String[1], Array[String, 1]] $command,
  Hash $settings = {},
) >> String {
  $s = { 'vip' => [], 'lock' => false, 'labels' => {}, 'options' => [], 'binary' => 'cronguard' } + $settings
  $opts = flatten([
    ['-n', $job],
    $s['splay'] ? { undef => [], default => ['--splay', $s['splay']] },
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
  $argv = $command ? {
    Array   => $command.map |$w| { cronguard::quote($w) }.join(' '),
    default => regsubst($command, '%', '\\%', 'G'),
  }
  $words = ([$s['binary']] + $opts).map |$w| { cronguard::quote($w) }
  "${words.join(' ')} -- ${argv}"
}
