// The few Grafana objects the dashboard is made of, as Grafana's dashboard
// JSON model (schemaVersion 39) has them; dashboards/ tests decode the
// result strictly into Grafana's own schema types.
{
  datasource:: { type: 'prometheus', uid: '${datasource}' },

  target(expr, legend, refId):: {
    refId: refId,
    datasource: $.datasource,
    expr: expr,
    legendFormat: legend,
    range: true,
    instant: false,
  },

  // targets: a list of [expr, legend] pairs.
  local base(type, title, description, unit, targets) = {
    type: type,
    title: title,
    description: description,
    datasource: $.datasource,
    fieldConfig: { defaults: { unit: unit }, overrides: [] },
    targets: [
      $.target(targets[i][0], targets[i][1], std.char(std.codepoint('A') + i))
      for i in std.range(0, std.length(targets) - 1)
    ],
  },

  timeseries(title, description, unit, targets, sortByMax=false):: base('timeseries', title, description, unit, targets) {
    fieldConfig+: { defaults+: { custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never' } } },
    options: {
      legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }
              + (if sortByMax then { sortBy: 'Max', sortDesc: true } else {}),
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  },

  stat(title, description, unit, targets, steps):: base('stat', title, description, unit, targets) {
    fieldConfig+: { defaults+: { thresholds: { mode: 'absolute', steps: steps } } },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'value_and_name',
      justifyMode: 'auto',
      orientation: 'auto',
      wideLayout: true,
      showPercentChange: false,
      percentChangeColorMode: 'standard',
    },
  },

  // A value mapping of numbers to texts and colours: { '0': ['DOWN', 'red'] }.
  mappings(m):: [{ type: 'value', options: { [k]: { text: m[k][0], color: m[k][1] } for k in std.objectFields(m) } }],

  row(title, collapsed=false):: { type: 'row', title: title, collapsed: collapsed, panels: [] },

  // layout places rows of panels: each item is [row, [[panel, w, h], ...]];
  // panels fill the 24 columns left to right, then wrap below the line's
  // tallest; [panel, w, h, x, dy] places one at column x, dy below the row.
  // A collapsed row holds its panels itself, as Grafana keeps them. IDs are
  // numbered in order, those in collapsed rows too.
  layout(sections)::
    local place(acc, item) =
      local p = item[0], w = item[1], h = item[2];
      local explicit = std.length(item) == 5;
      local wrap = !explicit && acc.x + w > 24;
      local x = if explicit then item[3] else if wrap then 0 else acc.x;
      local y = if explicit then acc.top + item[4] else if wrap then acc.bottom else acc.y;
      acc {
        x: x + w,
        y: y,
        bottom: std.max(acc.bottom, y + h),
        panels: acc.panels + [p { gridPos: { h: h, w: w, x: x, y: y } }],
      };
    local section(acc, s) =
      local row = s[0];
      local start = { top: acc.y + 1, x: 0, y: acc.y + 1, bottom: acc.y + 1, panels: [] };
      local placed = std.foldl(place, s[1], start);
      if row.collapsed then {
        y: acc.y + 1,
        panels: acc.panels + [row { gridPos: { h: 1, w: 24, x: 0, y: acc.y }, panels: placed.panels }],
      } else {
        y: placed.bottom,
        panels: acc.panels + [row { gridPos: { h: 1, w: 24, x: 0, y: acc.y } }] + placed.panels,
      };
    local flat = std.foldl(section, sections, { y: 0, panels: [] }).panels;
    local number(ps, first) =
      std.foldl(
        function(acc, p)
          local inner = std.get(p, 'panels', []);
          {
            next: acc.next + 1 + std.length(inner),
            out: acc.out + [p { id: acc.next } + (if std.objectHas(p, 'panels') then { panels: [inner[i] { id: acc.next + 1 + i } for i in std.range(0, std.length(inner) - 1)] } else {})],
          },
        ps,
        { next: first, out: [] }
      ).out;
    number(flat, 1),
}
