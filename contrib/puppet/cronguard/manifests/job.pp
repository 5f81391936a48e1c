# @summary A crontab line that runs a command under cronguard.
#
# Manages one `cron` resource whose command is the line a person would write, e.g.
#
#   0 1 * * * cronguard -n backup --splay 10m --vip 10.0.0.50 --lock --pushgateway http://pg:9091 -- /usr/local/bin/backup.sh
#   30 2 * * * cronguard -n dbgz --vip 10.0.0.50 --command 'pg_dump db | gzip > /srv/db.gz'
#
# @example The nightly backup, on the node holding the VIP only
#   cronguard::job { 'backup':
#     command     => ['/usr/local/bin/backup.sh'],
#     minute      => 0,
#     hour        => 1,
#     splay       => '10m',
#     vip         => ['10.0.0.50'],
#     lock        => true,
#     pushgateway => 'http://pg:9091',
#   }
#
# @example A pipeline, all of it inside the guard: on the standby nothing truncates the dump
#   cronguard::job { 'dbgz':
#     command => 'pg_dump db | gzip > /srv/db.gz',
#     minute  => 30,
#     hour    => 2,
#     vip     => ['10.0.0.50'],
#   }
#
# @param command The command. An array is its argv: each word is quoted for sh(1) and cron, so
#   it reaches the command unchanged. A string is shell text, as you would type it in a shell:
#   it is run inside the guard with `--command` (quoted for the shell, `%` escaped for cron),
#   so that its pipes, redirections, `&&` and `;` only happen when the run happens.
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
# @param splay_slot --splay-slot I/N: this host is number I (from 0) of N, and the N hosts
#   start exactly splay / N apart: e.g. `"3/10"`, the host's index in a sorted list of the
#   fleet and that list's length.
# @param vip --vip: run only on the node holding one of these addresses.
# @param lock --lock: never overlap two runs of the job.
# @param lock_file --lock-file: lock this file instead (implies the lock).
# @param timeout --timeout: kill the run after this long, e.g. `4h`.
# @param pushgateway --pushgateway: the Prometheus Pushgateway's base URL.
# @param ping --ping: a healthchecks.io check URL.
# @param labels --label KEY=VALUE for each pair, added to every report (sorted by key).
# @param options Any other cronguard options, as words, e.g. `['--quiet', '--success-exit', '0,24']`.
# @param environment NAME=VALUE words for this job alone, put on its line before cronguard,
#   e.g. `['CRONGUARD_STATE_DIR=/srv/cron-state']`. Never crontab variable lines: those apply
#   to every later line of the crontab. cron's own variables (MAILTO, SHELL, CRON_TZ...) can
#   only be such lines, and are refused here: set them in the crontab's header yourself.
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
  Optional[Pattern[/\A[0-9]{1,7}\/[0-9]{1,7}\z/]] $splay_slot = undef,
  Array[String[1]] $vip = [],
  Boolean $lock = false,
  Optional[String[1]] $lock_file = undef,
  Optional[String[1]] $timeout = undef,
  Optional[String[1]] $pushgateway = undef,
  Optional[String[1]] $ping = undef,
  Hash[Pattern[/\A[A-Za-z_][A-Za-z0-9_]*\z/], String] $labels = {},
  Array[String[1]] $options = [],
  Array[Pattern[/\A[A-Za-z_][A-Za-z0-9_]*=/]] $environment = [],
  String[1] $binary = 'cronguard',
) {
  if $command =~ String and $command =~ /[\r\n]/ {
    fail("cronguard::job[${title}]: the command must be one line")
  }
  $environment.each |$e| {
    if $e =~ /\A(MAILTO|MAILFROM|SHELL|CRON_TZ|RANDOM_DELAY|CONTENT_TYPE|CONTENT_TRANSFER_ENCODING)=/ {
      fail("cronguard::job[${title}]: ${e.split('=')[0]} is cron's own variable, which only a crontab line sets, for every later line: set it in the crontab's header")
    }
  }

  $line = cronguard::command($job, $command, {
    'splay'       => $splay,
    'splay_slot'  => $splay_slot,
    'vip'         => $vip,
    'lock'        => $lock,
    'lock_file'   => $lock_file,
    'timeout'     => $timeout,
    'pushgateway' => $pushgateway,
    'ping'        => $ping,
    'labels'      => $labels,
    'options'     => $options,
    'environment' => $environment,
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
    # No environment attribute: its lines would apply to every later line of the crontab.
  }
}
