import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** Nest's error shape, as every error response has it. */
export class ErrorDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  message: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error: string;
}

const MEANING: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing, invalid, expired or revoked access token',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body larger than 100 KB',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable; retry later',
};

/** Documents the usual error answers of a route in OpenAPI. */
export const ApiResponseCodes = (...codes: number[]) =>
  applyDecorators(
    ...codes.map((status) => ApiResponse({ status, description: MEANING[status], type: ErrorDto })),
  );
