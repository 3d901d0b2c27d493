// Small helpers that write PromQL for the rules and the dashboard.
{
  // A selector of the non-empty matchers, '' for none:
  // selector(['job="a"', '', 'api="v1"']) is '{job="a", api="v1"}'.
  selector(matchers)::
    local ms = [m for m in matchers if m != ''];
    if ms == [] then '' else '{' + std.join(', ', ms) + '}',

  // 'by (a, b)' and 'on (a, b)'.
  by(labels):: 'by (' + std.join(', ', labels) + ')',
  on(labels):: 'on (' + std.join(', ', labels) + ')',

  // A Prometheus duration in words for a text: '5m' is '5 minutes', '1h'
  // 'an hour', '90s' '90 seconds'.
  words(d)::
    local n = std.parseInt(d[:std.length(d) - 1]);
    local unit = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[d[std.length(d) - 1]];
    if n == 1 then (if unit == 'hour' then 'an hour' else 'a ' + unit)
    else '%d %ss' % [n, unit],

  // A number of seconds in words: 1800 is '30 minutes', 3600 'an hour'.
  seconds(n)::
    self.words(if n % 86400 == 0 then '%dd' % (n / 86400) else if n % 3600 == 0 then '%dh' % (n / 3600) else if n % 60 == 0 then '%dm' % (n / 60) else '%ds' % n),

  // A number as a rule writes it: 0.1, 100.
  num(x):: if x == std.floor(x) then '%d' % x else '%g' % x,

  // A ratio as a percentage for a text: 0.1 is '10%'.
  percent(x):: self.num(x * 100) + '%',
}
