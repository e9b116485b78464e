import { CreateUsers1764000000000 } from './1764000000000-create-users';
import { CreateSessions1764000000001 } from './1764000000001-create-sessions';
import { CreateNotes1764000000002 } from './1764000000002-create-notes';

/** Every migration, oldest first. `npm run migration:generate` writes a new file here: add its class below. */
export const migrations = [CreateUsers1764000000000, CreateSessions1764000000001, CreateNotes1764000000002];
