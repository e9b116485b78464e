import { renderTypes } from './openapi-to-ts';

describe('renderTypes', () => {
  const enumOf = (values: string[]) => ({
    components: {
      schemas: {
        Answer: {
          type: 'object',
          required: ['kind'],
          properties: { kind: { type: 'string', enum: values } },
        },
      },
    },
  });

  it('keeps a union that fits the line on it', () => {
    expect(renderTypes(enumOf(['a', 'b']))).toContain("export interface Answer {\n  kind: 'a' | 'b';\n}\n");
  });

  it('lays out a union too long for the line one member per line, as Prettier does', () => {
    const values = Array.from({ length: 8 }, (_, i) => `a_rather_long_value_${i}`);
    const expected = `  kind:\n${values.map((value) => `    | '${value}'`).join('\n')};\n`;
    expect(renderTypes(enumOf(values))).toContain(expected);
  });

  it('lays out an array of such a union inside Array<…>, as Prettier does', () => {
    const values = Array.from({ length: 8 }, (_, i) => `a_rather_long_value_${i}`);
    const document = {
      components: {
        schemas: {
          Answer: {
            type: 'object',
            required: ['kinds'],
            properties: { kinds: { type: 'array', items: { type: 'string', enum: values } } },
          },
        },
      },
    };
    const expected = `  kinds: Array<\n${values.map((value) => `    | '${value}'`).join('\n')}\n  >;\n`;
    expect(renderTypes(document)).toContain(expected);
    expect(renderTypes(document)).not.toContain('| Array<');
  });
});
