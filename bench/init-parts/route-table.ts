/** Init part: the route table (`functions/routes.ts`): zod and every route's schemas, which every function builds at init. */
import { httpRoutes, queueRoutes, wsRoutes } from '../../functions/routes';

export const handler = () => [httpRoutes, wsRoutes, queueRoutes];
