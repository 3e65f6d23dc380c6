/** Init part: the whole route table (`functions/routes.ts`): zod and every route's schemas, which only the API documents build now; every other function builds just its own route's (`lib/route-slicing.ts`). */
import { httpRoutes, queueRoutes, wsRoutes } from '../../functions/routes';

export const handler = () => [httpRoutes, wsRoutes, queueRoutes];
