import { ApiProperty } from '@nestjs/swagger';

/** A service client as an admin sees it in the list: never its secret. */
export class ServiceClientDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'gcl_Q2xpZW50SWRFeGFtcGxl', description: 'The client_id it authenticates with' })
  clientId: string;

  @ApiProperty({ example: 'nightly billing export' })
  name: string;

  @ApiProperty({ type: [String], description: 'The scopes it may ask for' })
  scopes: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

/** The answer to creating a client: the only time its secret is ever shown. */
export class CreatedServiceClientDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'gcl_Q2xpZW50SWRFeGFtcGxl' })
  clientId: string;

  @ApiProperty({
    example: 'yQ3v7mEXAMPLEk2Jd9sLp0Xw4RtZb8Nc1HfUa6GeVoI',
    description: 'Shown this once; only its hash is kept',
  })
  clientSecret: string;

  @ApiProperty({ type: [String] })
  scopes: string[];
}
