/**
 * The DynamoDB implementation of the domain's `Repository` port: one store
 * per entity module, all on one `Db`.
 */
import type { Repository } from '../domain/ports';
import type { Db } from './client';
import { attachmentStore } from './attachments';
import { chatBanStore } from './chat-bans';
import { moderationStore } from './moderation';
import { reportStore } from './reports';
import { changeStore } from './changes';
import { chatStore } from './chats';
import { connectionStore } from './connections';
import { deviceStore } from './devices';
import { erasureStore } from './erasures';
import { exportStore } from './exports';
import { membershipStore } from './memberships';
import { messageStore } from './messages';
import { pinStore } from './pins';
import { rateLimitStore } from './rate-limits';
import { supportStore } from './support';
import { userStore } from './users';

export function createRepository(db: Db): Repository {
  return {
    users: userStore(db),
    chats: chatStore(db),
    memberships: membershipStore(db),
    messages: messageStore(db),
    connections: connectionStore(db),
    support: supportStore(db),
    rateLimits: rateLimitStore(db),
    attachments: attachmentStore(db),
    moderation: moderationStore(db),
    chatBans: chatBanStore(db),
    reports: reportStore(db),
    changes: changeStore(db),
    devices: deviceStore(db),
    pins: pinStore(db),
    erasures: erasureStore(db),
    exports: exportStore(db),
  };
}
