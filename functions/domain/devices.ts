/**
 * Push devices (SPEC §8, §5): `PUT/GET/DELETE /v1/me/devices/{deviceId}`,
 * `GET /v1/me/devices`. A device is the caller's own: nobody else can see,
 * change or remove it (other users' device ids simply do not exist for them).
 *
 * - ≤ `maxDevicesPerUser` (10) per user: registering an 11th replaces the
 *   least recently registered one.
 * - A token already registered by another device (of this or another user)
 *   moves to the caller's device: the other device is removed in the same
 *   transaction, so a phone handed to someone else stops notifying its
 *   previous owner.
 * - Re-registering a device with the same token is idempotent (its
 *   `registeredAt` moves, its SNS endpoint is kept).
 * - Registering and removing take a `writes` slot (SPEC §5, 60 a minute).
 * - A device that goes away (removed, its token moved to another device or
 *   user, replaced by the cap, its token changed, erased) takes its SNS
 *   platform endpoint with it (`DeleteEndpoint`, after the DynamoDB change
 *   committed): SNS would otherwise keep one endpoint per token ever seen
 *   and refuse to create the new holder's (same token, other
 *   `CustomUserData`). Best effort: a failed delete is logged, never an
 *   error for the caller (the device is already gone).
 */
import type * as z from 'zod';
import type { Device } from '../schemas';
import type { DomainContext } from './context';
import { ConflictError, NotFoundError } from './errors';
import { takeSlot } from './limits';
import type { DeviceRecord, Principal, PushPlatform } from './types';

/** SPEC §5: devices per user. */
export const MAX_DEVICES_PER_USER = 10;

export type DeviceT = z.infer<typeof Device>;

export function deviceView(d: DeviceRecord): DeviceT {
  return { id: d.deviceId, platform: d.platform, token: d.token, registeredAt: d.registeredAt };
}

/** Attempts when the token changes hands under a concurrent registration. */
const REGISTER_ATTEMPTS = 3;

/**
 * Registers (or re-registers) a device for the caller. Answers the device.
 * Errors: 409 when the token kept changing hands meanwhile (retry).
 */
export async function registerDevice(
  ctx: DomainContext,
  principal: Principal,
  deviceId: string,
  input: { platform: PushPlatform; token: string },
): Promise<{ device: DeviceT }> {
  await takeSlot(ctx, principal.userId, 'writes');
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
    const [mine, holder] = await Promise.all([ctx.repo.devices.list(principal.userId), ctx.repo.devices.holderOf(input.platform, input.token)]);
    const existing = mine.find((d) => d.deviceId === deviceId);
    const device: DeviceRecord = {
      userId: principal.userId,
      deviceId,
      platform: input.platform,
      token: input.token,
      registeredAt: ctx.now().toISOString(),
      // The same token keeps its SNS endpoint; a new token needs a new one.
      endpointArn: existing && existing.token === input.token && existing.platform === input.platform ? existing.endpointArn : undefined,
    };
    const remove: DeviceRecord[] = [];
    // The device's previous token (if another) gives way: its pointer goes.
    if (existing && (existing.token !== input.token || existing.platform !== input.platform)) remove.push(existing);
    // The token's previous holder, if another device (the caller's or someone else's).
    if (holder && !(holder.userId === principal.userId && holder.deviceId === deviceId)) {
      const previous = holder.userId === principal.userId ? mine.find((d) => d.deviceId === holder.deviceId) : await ctx.repo.devices.get(holder.userId, holder.deviceId);
      if (previous) remove.push(previous);
    }
    // SPEC §5: an 11th device replaces the least recently registered one.
    const staying = mine.filter((d) => d.deviceId !== deviceId && !remove.some((r) => r.userId === d.userId && r.deviceId === d.deviceId));
    if (!existing && staying.length >= MAX_DEVICES_PER_USER) {
      const oldest = [...staying].sort((a, b) => a.registeredAt.localeCompare(b.registeredAt) || a.deviceId.localeCompare(b.deviceId));
      remove.push(...oldest.slice(0, staying.length - MAX_DEVICES_PER_USER + 1));
    }
    if (await ctx.repo.devices.register(device, remove, holder)) {
      await deleteEndpoints(ctx, remove.filter((r) => r.endpointArn !== device.endpointArn));
      return { device: deviceView(device) };
    }
  }
  throw new ConflictError('This push token is being registered by another device at the same time; retry.');
}

export async function listDevices(ctx: DomainContext, principal: Principal): Promise<{ devices: DeviceT[] }> {
  const devices = await ctx.repo.devices.list(principal.userId);
  return { devices: devices.sort((a, b) => b.registeredAt.localeCompare(a.registeredAt) || a.deviceId.localeCompare(b.deviceId)).map(deviceView) };
}

export async function getDevice(ctx: DomainContext, principal: Principal, deviceId: string): Promise<{ device: DeviceT }> {
  const device = await ctx.repo.devices.get(principal.userId, deviceId);
  if (!device) throw new NotFoundError('Device not found.');
  return { device: deviceView(device) };
}

/** Removes the caller's device (idempotent: an unknown id is already removed, 204 either way). */
export async function removeDevice(ctx: DomainContext, principal: Principal, deviceId: string): Promise<void> {
  await takeSlot(ctx, principal.userId, 'writes');
  await forgetDevice(ctx, principal.userId, deviceId);
}

/** Removes one device with its token pointer and its SNS endpoint (also the erasure's step, SPEC §10); idempotent. */
export async function forgetDevice(ctx: DomainContext, userId: string, deviceId: string): Promise<void> {
  const removed = await ctx.repo.devices.remove(userId, deviceId);
  if (removed) await deleteEndpoints(ctx, [removed]);
}

/** SNS `DeleteEndpoint` for each device that had an endpoint (the port never throws). */
async function deleteEndpoints(ctx: DomainContext, devices: readonly DeviceRecord[]): Promise<void> {
  const arns = [...new Set(devices.map((d) => d.endpointArn).filter((arn): arn is string => arn !== undefined))];
  if (arns.length > 0 && ctx.pushEndpoints) await Promise.all(arns.map((arn) => ctx.pushEndpoints!.deleteEndpoint(arn)));
}
