# @summary One word of a crontab command, quoted for sh(1) and escaped for cron.
#
# Words made only of letters, digits and `_@%+=:,./-` stay bare; any other word is put in single
# quotes, with each `'` and `\` written outside them as `\'` and `\\`. Every `%` becomes `\%`,
# because cron turns a bare `%` into a newline. After cron's and the shell's passes, the command
# receives exactly WORD. contrib/ansible's role quotes the same way, character for character.
#
# @param word The word, as the command must receive it.
# @return [String] The word as it must appear in the crontab line.
#
# @example
#   cronguard::quote("it's 100%")  # => 'it'\''s 100\%'
function cronguard::quote(String $word) >> String {
  if $word == '' {
    "''"
  } elsif $word =~ /\A[A-Za-z0-9_@%+=:,.\/-]+\z/ {
    regsubst($word, '%', '\\%', 'G')
  } else {
    # [text so far, whether a single quote is open]
    $quoted = $word.split('').reduce(['', false]) |$acc, $c| {
      if $c == "'" or $c == '\\' {
        $close = $acc[1] ? { true => "'", default => '' }
        ["${acc[0]}${close}\\${c}", false]
      } else {
        $open = $acc[1] ? { true => '', default => "'" }
        $char = $c ? { '%' => '\\%', default => $c }
        ["${acc[0]}${open}${char}", true]
      }
    }
    $quoted[1] ? { true => "${quoted[0]}'", default => $quoted[0] }
  }
}
