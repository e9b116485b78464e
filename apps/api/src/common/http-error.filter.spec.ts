import { PGlite } from '@electric-sql/pglite';
import { ArgumentsHost, BadRequestException, HttpException, Logger } from '@nestjs/common';
import { runInNewContext } from 'node:vm';
import { QueryFailedError } from 'typeorm';
import { ErrorBody, HttpErrorFilter } from './http-error.filter';

interface Answer {
  status: number;
  body: ErrorBody;
}

/** Runs the filter on `exception` as if a request had failed with it, and answers what the client got. */
function answerTo(exception: unknown): Answer {
  const answer: Partial<Answer> = {};
  const reply = {
    status(code: number) {
      answer.status = code;
      return reply;
    },
    send(body: ErrorBody) {
      answer.body = body;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1' }) }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return answer as Answer;
}

// Every name the schema below uses: none may reach a client.
const INTERNAL_NAMES =
  /notes|owners|title|body|owner_id|weight|code|notes_weight_check|fk_|pk_|uq_|insert|update|select|key \(|violates/i;

describe('HttpErrorFilter and the errors the database raises', () => {
  let db: PGlite;

  /** Runs a statement that must fail, and answers the error TypeORM would throw for it. */
  async function failing(sql: string): Promise<QueryFailedError> {
    try {
      await db.query(sql);
    } catch (driverError) {
      return new QueryFailedError(sql, [], driverError as Error);
    }
    throw new Error(`expected to fail: ${sql}`);
  }

  beforeAll(async () => {
    db = new PGlite();
    await db.exec(`
      CREATE TABLE owners (id uuid PRIMARY KEY);
      CREATE TABLE notes (
        id int CONSTRAINT pk_notes PRIMARY KEY,
        owner_id uuid CONSTRAINT fk_notes_owner REFERENCES owners (id),
        title varchar(5) NOT NULL,
        code text CONSTRAINT uq_notes_code UNIQUE,
        weight int CONSTRAINT notes_weight_check CHECK (weight > 0)
      );
      INSERT INTO notes (id, title, code) VALUES (1, 'kept', 'taken');
    `);
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const cases: [string, string, string, number][] = [
    ['a not-null violation', '23502', 'INSERT INTO notes (id, title) VALUES (2, NULL)', 400],
    ['a unique violation', '23505', "INSERT INTO notes (id, title, code) VALUES (3, 'x', 'taken')", 409],
    [
      'a foreign-key violation',
      '23503',
      "INSERT INTO notes (id, title, owner_id) VALUES (4, 'x', '00000000-0000-4000-8000-000000000000')",
      409,
    ],
    ['a check violation', '23514', "INSERT INTO notes (id, title, weight) VALUES (5, 'x', -1)", 400],
    ['a string too long', '22001', "INSERT INTO notes (id, title) VALUES (6, 'far too long')", 400],
    ['an invalid text representation', '22P02', "SELECT * FROM notes WHERE owner_id = 'not-a-uuid'", 400],
    ['a numeric value out of range', '22003', "INSERT INTO notes (id, title) VALUES (99999999999, 'x')", 400],
  ];
  for (const [name, sqlState, sql, status] of cases) {
    it(`answers ${name} (${sqlState}) with ${status} in Nest's shape, naming nothing of the schema`, async () => {
      const error = await failing(sql);
      expect((error.driverError as { code?: string }).code).toBe(sqlState);
      const { status: sent, body } = answerTo(error);
      expect(sent).toBe(status);
      expect(body.statusCode).toBe(status);
      expect(body.error).toBe(status === 409 ? 'Conflict' : 'Bad Request');
      expect(typeof body.message).toBe('string');
      expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
      expect(`${body.message as string} ${body.error}`).not.toMatch(INTERNAL_NAMES);
    });
  }

  it('logs what slipped through, with its SQLSTATE, at warn level', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    answerTo(await failing('INSERT INTO notes (id, title) VALUES (7, NULL)'));
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ reqId: 'req-1', sqlState: '23502' }),
      'database refused the data',
    );
  });

  it('still answers 503 when the database is out of reach', () => {
    const lost = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    expect(answerTo(new QueryFailedError('SELECT 1', [], lost)).status).toBe(503);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(answerTo(refused).status).toBe(503);
  });

  it('answers 503 to a refused connection whose Error comes from another realm, as Node raises it under Jest', () => {
    const refused = runInNewContext(
      "Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })",
    ) as unknown;
    expect(refused instanceof Error).toBe(false);
    expect(answerTo(refused)).toEqual({
      status: 503,
      body: {
        statusCode: 503,
        message: 'the service is temporarily unavailable',
        error: 'Service Unavailable',
      },
    });
  });

  it('answers any other database error with a bare 500', async () => {
    const error = await failing('SELECT * FROM no_such_table');
    expect(answerTo(error)).toEqual({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    });
  });

  it('keeps an HttpException as it is', () => {
    expect(answerTo(new BadRequestException(['title must not be null']))).toEqual({
      status: 400,
      body: { statusCode: 400, message: ['title must not be null'], error: 'Bad Request' },
    });
  });
});

describe('HttpErrorFilter and an exception that carries its own answer', () => {
  /** An error in another protocol's format, as the OAuth token endpoint raises them. */
  class ProtocolError extends HttpException {
    readonly answer = { error: 'invalid_client', error_description: 'client authentication failed' };
    readonly headers = { 'WWW-Authenticate': 'Basic realm="gatehouse"', 'Cache-Control': 'no-store' };
    constructor() {
      super('client authentication failed', 401);
    }
  }

  it('sends that answer as it is, with the exception’s status and headers', () => {
    const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const reply = {
      status(code: number) {
        sent.status = code;
        return reply;
      },
      header(name: string, value: string) {
        sent.headers[name] = value;
        return reply;
      },
      send(body: unknown) {
        sent.body = body;
        return reply;
      },
    };
    const host = {
      switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1' }) }),
    } as unknown as ArgumentsHost;
    new HttpErrorFilter().catch(new ProtocolError(), host);
    expect(sent).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
      headers: { 'WWW-Authenticate': 'Basic realm="gatehouse"', 'Cache-Control': 'no-store' },
    });
  });
});
