import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.js';
import { formatExpr } from './format.js';
import { ParseError } from './parse-error.js';
import { parseExpr } from './parser.js';

/** A compact rendering of the tree's shape, to compare bindings without positions. */
function shape(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return String(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'ParenExpr':
      return `(${shape(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}[${shape(e.expr)}]`;
    case 'VectorSelector': {
      const mods = `${e.offsetMs !== 0 ? ` offset=${e.offsetMs}` : ''}${e.at ? ` @${e.at.kind === 'time' ? e.at.timeMs : e.at.kind}` : ''}`;
      return `sel(${e.name}${e.matchers
        .filter((m) => m.name !== '__name__')
        .map((m) => `,${m.name}${m.type}${m.value}`)
        .join('')}${mods})`;
    }
    case 'MatrixSelector':
      return `range(${shape(e.vectorSelector)},${e.rangeMs})`;
    case 'SubqueryExpr':
      return `subq(${shape(e.expr)},${e.rangeMs},${e.stepMs}${e.offsetMs !== 0 ? ` offset=${e.offsetMs}` : ''})`;
    case 'Call':
      return `${e.func}(${e.args.map(shape).join(',')})`;
    case 'AggregateExpr':
      return `${e.op}${e.without ? '-without' : ''}[${e.grouping.join(',')}](${e.param ? `${shape(e.param)},` : ''}${shape(e.expr)})`;
    case 'BinaryExpr': {
      const m = e.matching;
      const mod =
        m && (m.on || m.matchingLabels.length > 0 || m.card !== 'one-to-one') && m.card !== 'many-to-many'
          ? `{${m.on ? 'on' : 'ign'}:${m.matchingLabels.join(',')}|${m.card}:${m.include.join(',')}}`
          : '';
      return `<${shape(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${mod} ${shape(e.rhs)}>`;
    }
  }
}

describe('parseExpr', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '<1 + <2 * 3>>'],
    ['1 * 2 + 3', '<<1 * 2> + 3>'],
    ['2 ^ 3 ^ 2', '<2 ^ <3 ^ 2>>'],
    ['-2 ^ 2', '-[<2 ^ 2>]'],
    ['-a * b', '<-[sel(a)] * sel(b)>'],
    ['1 - -1', '<1 - -1>'],
    ['a or b and c', '<sel(a) or <sel(a) and sel(c)>>'.replace('<sel(a) and', '<sel(b) and')],
    ['a + b offset 5m', '<sel(a) + sel(b offset=300000)>'],
    ['a offset -1h', 'sel(a offset=-3600000)'],
    ['a @ 100 offset 1m', 'sel(a offset=60000 @100000)'],
    ['a offset 1m @ start()', 'sel(a offset=60000 @start)'],
    ['rate(a[5m] offset 1m)', 'rate(range(sel(a offset=60000),300000))'],
    ['a[1h:5m]', 'subq(sel(a),3600000,300000)'],
    ['rate(a[5m])[30m:] offset 1m', 'subq(rate(range(sel(a),300000)),1800000,0 offset=60000)'],
    ['sum by (job) (a)', 'sum[job](sel(a))'],
    ['sum(a) without (instance)', 'sum-without[instance](sel(a))'],
    ['topk(3, a)', 'topk[](3,sel(a))'],
    ['count_values("v", a)', 'count_values[]("v",sel(a))'],
    ['a == bool b', '<sel(a) == bool sel(b)>'],
    ['a * on(job) group_left(x) b', '<sel(a) *{on:job|many-to-one:x} sel(b)>'],
    ['a / ignoring(code) group_right b', '<sel(a) /{ign:code|one-to-many:} sel(b)>'],
    ['{__name__="up", job=~"a.*"}', 'sel(up,job=~a.*)'],
    ['up{job!="x",}', 'sel(up,job!=x)'],
    ['0x1F + Inf', '<31 + Infinity>'],
    ['1e3 - .5', '<1000 - 0.5>'],
    ['5m', '300'],
    ['"a\\tb"', '"a\\tb"'],
    ['`raw\\n`', '"raw\\\\n"'],
    ['SUM(a) BY (job)', 'sum[job](sel(a))'],
    ['a atan2 b', '<sel(a) atan2 sel(b)>'],
  ];
  it.each(cases)('parses %s', (input, want) => {
    expect(shape(parseExpr(input))).toBe(want);
  });

  const errors: [string, RegExp][] = [
    ['', /no expression found/],
    ['a +', /unexpected end of input/],
    ['1 > 2', /comparisons between scalars must use BOOL modifier/],
    ['a + bool b', /bool modifier can only be used on comparison operators/],
    ['1 and a', /set operator "and" not allowed in binary scalar expression/],
    ['(a + b) offset 5m', /offset modifier must be preceded by/],
    ['(a)[5m]', /ranges only allowed for vector selectors/],
    ['rate(a)', /expected type range vector in call to function "rate", got instant vector/],
    ['round()', /expected at least 1 argument/],
    ['nosuch(a)', /unknown function with name "nosuch"/],
    ['{job=""}', /vector selector must contain at least one non-empty matcher/],
    ['foo{__name__="bar"}', /metric name must not be set twice/],
    ['sum(a[5m])', /expected type instant vector in aggregation expression, got range vector/],
    ['a * on(x) group_left(x) b', /label "x" must not occur in ON and GROUP clause at once/],
    ['a and on(x) group_left b', /no grouping allowed for "and" operation/],
    ['a offset 1m offset 2m', /offset may not be set multiple times/],
    ['a[5m][5m]', /ranges only allowed for vector selectors|subquery is only allowed on instant vector/],
    ['a{b=~"("}', /invalid regular expression/],
    ['a $ b', /unexpected character: '\$'/],
  ];
  it.each(errors)('rejects %j', (input, want) => {
    let caught: unknown;
    try {
      parseExpr(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).message).toMatch(/^\d+:\d+: parse error: /);
    expect((caught as ParseError).message).toMatch(want);
  });

  it('reports the line and column of an error', () => {
    try {
      parseExpr('sum(\n  rate(a[5m]) +\n)');
      expect.unreachable();
    } catch (err) {
      expect((err as ParseError).line).toBe(3);
      expect((err as ParseError).column).toBe(1);
    }
  });
});

describe('formatExpr', () => {
  const inputs = [
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1h))',
    'a * on (job) group_left (x) b',
    '-a ^ 2',
    'max_over_time(rate(a[5m])[1h:1m] @ end())',
    'a == bool 1',
    'topk(3, a) or vector(1)',
    '{__name__="my.metric", job="x"}',
    'label_replace(a, "dst", "$1", "src", "(.*)")',
  ];
  it.each(inputs)('prints %s so that it parses back to the same tree', (input) => {
    const tree = parseExpr(input);
    expect(shape(parseExpr(formatExpr(tree)))).toBe(shape(tree));
  });
});
