# @summary A crontab line that runs a command under cronguard.
#
# Manages one `cron` resource whose command is the line a person would write, e.g.
#
#   0 1 * * * cronguard -n backup --splay 10m --vip 10.0.0.50 --lock --pushgateway http://pg:9091 -- /usr/local/bin/backup.sh
#
# @example The nightly backup, on the node holding the VIP only
#   cronguard::job { 'backup':
#     command     => '/usr/local/bin/backup.sh',
#     minute      => 0,
#     hour        => 1,
#     splay       => '10m',
#     vip         => ['10.0.0.50'],
#     lock        => true,
#     pushgateway => 'http://pg:9091',
#   }
#
# @param command The command. An array is its argv: each word is quoted for sh(1) and cron, so
#   it reaches the command unchanged. A string is shell text, put in the line as it is (only `%`
#   is escaped for cron): write it as you would type it in a shell.
# @param job The cronguard job name (-n): it names the state file, the lock and the reports.
# @param ensure present or absent.
# @param user Whose crontab.
# @param minute The cron time fields; each defaults to `*`, as with the `cron` type.
# @param hour
# @param monthday
# @param month
# @param weekday
# @param special @daily and friends (`daily`, `hourly`, `reboot`...), instead of the time fields.
# @param splay --splay: a stable per-host delay in [0, splay), e.g. `10m`.
# @param vip --vip: run only on the node holding one of these addresses.
# @param lock --lock: never overlap two runs of the job.
# @param lock_file --lock-file: lock this file instead (implies the lock).
# @param timeout --timeout: kill the run after this long, e.g. `4h`.
# @param pushgateway --pushgateway: the Prometheus Pushgateway's base URL.
# @param ping --ping: a healthchecks.io check URL.
# @param labels --label KEY=VALUE for each pair, added to every report (sorted by key).
# @param options Any other cronguard options, as words, e.g. `['--quiet', '--success-exit', '0,24']`.
# @param environment Crontab variable lines put before the job's line, e.g. `['MAILTO=ops@example.com']`.
# @param binary The cronguard program (found in cron's PATH, or an absolute path).
define cronguard::job (
  Variant[String[1], Array[String, 1]] $command,
  Pattern[/\A[A-Za-z0-9_.-]{1,64}\z/] $job = $title,
  Enum['present', 'absent'] $ensure = 'present',
  String[1] $user = 'root',
  Optional[Variant[Integer, String[1], Array]] $minute = undef,
  Optional[Variant[Integer, String[1], Array]] $hour = undef,
  Optional[Variant[Integer, String[1], Array]] $monthday = undef,
  Optional[Variant[Integer, String[1], Array]] $month = undef,
  Optional[Variant[Integer, String[1], Array]] $weekday = undef,
  Optional[Enum['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'midnight', 'hourly']] $special = undef,
  Optional[String[1]] $splay = undef,
  Array[String[1]] $vip = [],
  Boolean $lock = false,
  Optional[String[1]] $lock_file = undef,
  Optional[String[1]] $timeout = undef,
  Optional[String[1]] $pushgateway = undef,
  Optional[String[1]] $ping = undef,
  Hash[Pattern[/\A[A-Za-z_][A-Za-z0-9_]*\z/], String] $labels = {},
  Array[String[1]] $options = [],
  Array[Pattern[/\A[^=\s]+=/]] $environment = [],
  String[1] $binary = 'cronguard',
) {
  if $command =~ String and $command =~ /[\r\n]/ {
    fail("cronguard::job[${title}]: the command must be one line")
  }

  $line = cronguard::command($job, $command, {
    'splay'       => $splay,
    'vip'         => $vip,
    'lock'        => $lock,
    'lock_file'   => $lock_file,
    'timeout'     => $timeout,
    'pushgateway' => $pushgateway,
    'ping'        => $ping,
    'labels'      => $labels,
    'options'     => $options,
    'binary'      => $binary,
  })

  cron { "cronguard::job ${title}":
    ensure      => $ensure,
    user        => $user,
    command     => $line,
    minute      => $minute,
    hour        => $hour,
    monthday    => $monthday,
    month       => $month,
    weekday     => $weekday,
    special     => $special,
    # An empty list would read back as a change on every run: leave the attribute out.
    environment => $environment.empty ? { true => undef, default => $environment },
  }
}
