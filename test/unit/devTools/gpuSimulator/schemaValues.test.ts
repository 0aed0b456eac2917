import { valueForSchema } from '../../../../shared/devTools/gpuSimulator/schemaValues';

describe('valueForSchema', () => {
  it('fills required properties of nested objects with values of their types', () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        size: { type: 'number', minimum: 2, maximum: 3 },
        count: { type: 'integer', minimum: 1, maximum: 4 },
        on: { type: 'boolean' },
        list: { type: 'array', items: { type: 'integer' }, minItems: 3 },
        inner: {
          type: 'object',
          properties: { deep: { type: 'string', enum: ['x', 'y'] }, skipped: { type: 'string' } },
          required: ['deep'],
        },
        optional: { type: 'string' },
      },
      required: ['name', 'size', 'count', 'on', 'list', 'inner'],
    };

    // Act
    const value = valueForSchema(schema, 'prompt') as Record<string, any>;

    // Assess
    expect(Object.keys(value)).toEqual(['name', 'size', 'count', 'on', 'list', 'inner']);
    expect(value.name).toEqual(expect.any(String));
    expect(value.size).toBeGreaterThanOrEqual(2);
    expect(value.size).toBeLessThanOrEqual(3);
    expect(Number.isInteger(value.count) && value.count >= 1 && value.count <= 4).toBe(true);
    expect(typeof value.on).toBe('boolean');
    expect(value.list).toHaveLength(3);
    expect(value.list.every(Number.isInteger)).toBe(true);
    expect(value.inner).toEqual({ deep: 'x' });
  });

  it('is deterministic, and string values follow the prompt', () => {
    // Prepare
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

    // Act / Assess
    expect(valueForSchema(schema, 'a')).toEqual(valueForSchema(schema, 'a'));
    expect(valueForSchema(schema, 'a')).not.toEqual(valueForSchema(schema, 'b'));
  });

  it('follows const, anyOf, nullable type lists, local $refs, string formats and lengths, and every property when none is required', () => {
    // Prepare
    const schema = {
      properties: {
        fixed: { const: 'v1' },
        either: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 10, maximum: 10 }] },
        maybe: { type: ['null', 'boolean'] },
        point: { $ref: '#/definitions/point' },
        when: { type: 'string', format: 'date-time' },
        short: { type: 'string', maxLength: 2 },
        long: { type: 'string', minLength: 40 },
      },
      definitions: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
    };

    // Act
    const value = valueForSchema(schema, 'p') as Record<string, any>;

    // Assess
    expect(value).toMatchObject({
      fixed: 'v1',
      either: 10,
      maybe: expect.any(Boolean),
      point: { x: expect.any(Number) },
      when: '2025-01-01T00:00:00Z',
    });
    expect(value.short.length).toBeLessThanOrEqual(2);
    expect(value.long.length).toBeGreaterThanOrEqual(40);
  });
});
