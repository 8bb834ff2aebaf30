import { describe, expect, it } from 'vitest';
import { parseExpr } from '../../../promql/index.js';
import { goJsonString, stringifySorted, translateAst } from './ast-json.js';

/** What Prometheus's parse_query writes for a query (translate_ast.go; Go sorts map keys). */
const cases: [query: string, json: string][] = [
  [
    'sum by (job) (rate(foo{a="b"}[5m] offset 1m))',
    '{"expr":{"args":[{"anchored":false,"matchers":[{"name":"a","type":"=","value":"b"},{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":60000,"range":300000,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}],"func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},"grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false}',
  ],
  [
    '{__name__="up", job=~"a.*"} @ 1700000000',
    '{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"up"},{"name":"job","type":"=~","value":"a.*"}],"name":"","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":1700000000000,"type":"vectorSelector"}',
  ],
  [
    'a / on (x) group_left (y) b',
    '{"bool":false,"lhs":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"a"}],"name":"a","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":{"card":"many-to-one","fillValues":{"lhs":null,"rhs":null},"include":["y"],"labels":["x"],"on":true},"op":"/","rhs":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"b"}],"name":"b","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"}',
  ],
  [
    'x > bool 1',
    '{"bool":true,"lhs":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":null,"op":"\\u003e","rhs":{"type":"numberLiteral","val":"1"},"type":"binaryExpr"}',
  ],
  [
    'topk(3, -(x))',
    '{"expr":{"expr":{"expr":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"parenExpr"},"op":"-","type":"unaryExpr"},"grouping":[],"op":"topk","param":{"type":"numberLiteral","val":"3"},"type":"aggregation","without":false}',
  ],
  [
    'max_over_time(x[1h:5m] @ end() offset -10m)',
    '{"args":[{"alignEvalTime":false,"expr":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"offset":-600000,"range":3600000,"startOrEnd":"end","step":300000,"timestamp":null,"type":"subquery"}],"func":{"argTypes":["matrix"],"name":"max_over_time","returnType":"vector","variadic":0},"type":"call"}',
  ],
  [
    'label_join(x, "d", ",", "a", "b")',
    '{"args":[{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},{"type":"stringLiteral","val":"d"},{"type":"stringLiteral","val":","},{"type":"stringLiteral","val":"a"},{"type":"stringLiteral","val":"b"}],"func":{"argTypes":["vector","string","string","string"],"name":"label_join","returnType":"vector","variadic":-1},"type":"call"}',
  ],
  [
    'time()',
    '{"args":[],"func":{"argTypes":[],"name":"time","returnType":"scalar","variadic":0},"type":"call"}',
  ],
  [
    '1e21 - Inf',
    '{"bool":false,"lhs":{"type":"numberLiteral","val":"1000000000000000000000"},"matching":null,"op":"-","rhs":{"type":"numberLiteral","val":"+Inf"},"type":"binaryExpr"}',
  ],
];

describe('translateAst', () => {
  for (const [query, json] of cases)
    it(`writes the tree of ${query} as Prometheus does`, () => {
      expect(stringifySorted(translateAst(parseExpr(query), query))).toBe(json);
    });
});

describe('goJsonString', () => {
  it('escapes what Go escapes for HTML', () => {
    expect(goJsonString('a < b && c > "d"\u2028')).toBe(
      '"a \\u003c b \\u0026\\u0026 c \\u003e \\"d\\"\\u2028"',
    );
  });
});
