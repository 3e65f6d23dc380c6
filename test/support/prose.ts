/**
 * Realistic message text for tests and the bench: ordinary English prose,
 * written for this project, in the tone of the support and team chats the
 * backend serves. Stored-size figures (write units of compressed content)
 * depend on the text: repeated words compress many times better than
 * anything people write, so measuring with them would flatter the codec.
 */
const PROSE = [
  'Thanks for getting back to me so quickly. I checked the order history again this morning and the replacement part still shows as pending,',
  'even though the courier confirmed delivery on Tuesday afternoon. Could you look into whether the warehouse scanned it correctly? Our clinic',
  'opens at eight, and the front desk needs the card reader working before the first patients arrive, otherwise we take payments by hand and',
  'reconcile everything at the end of the week. If it helps, I can send a photo of the packing slip and the serial number printed on the underside',
  'of the device. Also, the invoice lists two units but we only ordered one, so please adjust that before the charge goes through. My colleague',
  'Priya will be around until six if you need someone to sign for anything; after that the building is locked and parcels are left at the pharmacy',
  'next door. Quick update from the design review: we agreed to keep the onboarding flow at three steps, move the pricing table below the fold on',
  'small screens, and test the new empty states with five customers before Friday. Marco raised a fair point about the export button, which most',
  'people never find because it hides behind the overflow menu, so we will try it as a secondary action in the toolbar and watch the numbers for',
  'a week. The staging deploy failed twice yesterday because a migration timed out on the larger tenant; Jun split it into batches and it went',
  'through in forty minutes. Nobody lost data, but the status page stayed yellow longer than it should have, and we owe the support team a short',
  'write-up. On the marketplace side, sellers keep asking whether buyers can see their phone numbers. They cannot: messages go through the platform',
  'and contact details are masked until an order is confirmed. If a buyer insists on moving the conversation elsewhere, please report it, since that',
  'is the most common pattern we see before a payment dispute. Finally, the holiday schedule: the office closes on the twenty-fourth at noon and',
  'reopens on the second, with one engineer on call each day. Swap shifts among yourselves, but tell me by Wednesday so the rota stays accurate.',
].join(' ');

/**
 * Exactly `length` characters of prose (ASCII, so also `length` bytes),
 * starting at a word chosen by `seed` and wrapping around; `extra` (a word to
 * search for, say) goes first.
 */
export function prose(length: number, seed = 0, extra = ''): string {
  const words = PROSE.split(' ');
  let out = extra ? `${extra} ` : '';
  for (let i = (seed * 37) % words.length; out.length < length; i = (i + 1) % words.length) out += `${words[i]} `;
  return out.slice(0, length);
}
