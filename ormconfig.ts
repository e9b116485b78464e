// The TypeORM CLI's data source: `npm run migration:generate|run|revert`. Same options as the app.
import { loadConfig } from './libs/config/src';
import { buildDataSourceOptions } from './libs/database/src';
import { DataSource } from 'typeorm';
import { User } from './libs/users/src';
import { RefreshToken } from './libs/auth/src/tokens/entities/refresh-token.entity';
import { Session } from './libs/auth/src/tokens/entities/session.entity';
import { Note } from './apps/api/src/notes/entities/note.entity';

export default new DataSource(buildDataSourceOptions(loadConfig(), [User, Session, RefreshToken, Note]));
