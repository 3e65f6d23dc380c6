/**
 * The DynamoDB implementation of the domain's `Repository` port: binds each
 * access-pattern function of the entity modules to one `Db`.
 */
import type { Repository } from '../domain/ports';
import type { Db } from './client';
import * as attachments from './attachments';
import * as chats from './chats';
import * as connections from './connections';
import * as memberships from './memberships';
import * as messages from './messages';
import * as rateLimits from './rate-limits';
import * as support from './support';
import * as users from './users';

export function createRepository(db: Db): Repository {
  return {
    users: {
      get: (id) => users.getUser(db, id),
      getMany: (ids) => users.getUsers(db, ids),
      put: (user) => users.putUser(db, user),
      touch: (principal, now, supportUntil) => users.touchUser(db, principal, now, supportUntil),
    },
    chats: {
      create: (chat, members, unique) => chats.createChat(db, chat, members, unique),
      findUnique: (key) => chats.findUnique(db, key),
      get: (id) => chats.getChat(db, id),
      getMany: (ids) => chats.getChats(db, ids),
      getWithMembership: (chatId, userId) => chats.getChatWithMembership(db, chatId, userId),
      recordMessage: (chatId, preview) => chats.recordMessage(db, chatId, preview),
      update: (current, changes, options) => chats.updateChat(db, current, changes, options),
      replacePreview: (chatId, preview) => chats.replacePreview(db, chatId, preview),
      recordFirstResponse: (chatId, at, seconds) => chats.recordFirstResponse(db, chatId, at, seconds),
    },
    memberships: {
      listByUser: (userId) => memberships.listByUser(db, userId),
      listParticipants: (chatId) => memberships.listParticipants(db, chatId),
      readMarkers: (chatId, userIds) => memberships.readMarkers(db, chatId, userIds),
      advanceReadMarker: (chatId, userId, seq, at) => memberships.advanceReadMarker(db, chatId, userId, seq, at),
      getMany: (chatId, userIds) => memberships.getMemberships(db, chatId, userIds),
      add: (chatId, members, maxSize) => memberships.addMembers(db, chatId, members, maxSize),
      remove: (chatId, userId) => memberships.removeMember(db, chatId, userId),
      update: (chatId, userId, changes) => memberships.updateMembership(db, chatId, userId, changes),
    },
    messages: {
      putIfSeqFree: (message) => messages.putIfSeqFree(db, message),
      latestSeq: (chatId) => messages.latestSeq(db, chatId),
      get: (chatId, seq, consistent) => messages.getMessage(db, chatId, seq, consistent),
      page: (chatId, range) => messages.page(db, chatId, range),
      putAtomically: (message) => messages.putAtomically(db, message),
      findByClientId: (chatId, senderId, cmid) => messages.findByClientId(db, chatId, senderId, cmid),
      claimClientId: (key, ulid, now, lease) => messages.claimClientId(db, key, ulid, now, lease),
      takeOverClientId: (key, previous, ulid, now, lease) => messages.takeOverClientId(db, key, previous, ulid, now, lease),
      releaseClientId: (key, ulid) => messages.releaseClientId(db, key, ulid),
      findClaimedMessage: (chatId, pointer) => messages.findClaimedMessage(db, chatId, pointer),
      edit: (target, change) => messages.editMessage(db, target, change),
      softDelete: (target, at, reactions) => messages.softDelete(db, target, at, reactions),
      react: (target, change) => messages.react(db, target, change),
      getMany: (chatId, seqs) => messages.getMessages(db, chatId, seqs),
    },
    connections: {
      put: (c) => connections.putConnection(db, c),
      get: (id, consistent) => connections.getConnection(db, id, consistent),
      delete: (id) => connections.deleteConnection(db, id),
      addToPresence: (userId, id, exp) => connections.addToPresence(db, userId, id, exp),
      removeFromPresence: (userId, id, at) => connections.removeFromPresence(db, userId, id, at),
      getPresence: (ids) => connections.getPresence(db, ids),
    },
    support: {
      queuePage: (filter) => support.queuePage(db, filter),
      openCountForAgent: (agentId) => support.openCountForAgent(db, agentId),
      agents: (now) => support.usersWithRole(db, 'support', now),
      entries: () => support.allSupportEntries(db),
    },
    attachments: {
      create: (a) => attachments.createAttachment(db, a),
      getMany: (chatId, ids) => attachments.getAttachments(db, chatId, ids),
    },
    rateLimits: {
      take: (userId, windowSeconds, limit, now, options) => rateLimits.take(db, userId, windowSeconds, limit, now, options),
      throttle: (userId, key, intervalSeconds, now) => rateLimits.throttle(db, userId, key, intervalSeconds, now),
    },
  };
}
