import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { assertStoreVisible } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { loadProduct, loadStore } from '../loaders/entity-by-id.loader.js';
import { parseId } from '../schema/arguments.js';
import { principalOf, WRITERS } from '../schema/auth-checker.js';
import { InventoryLevel } from '../schema/types/inventory-level.type.js';
import { Product } from '../schema/types/product.type.js';
import { Store } from '../schema/types/store.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { adjustInventory } from '../use-cases/adjust-inventory.js';
import { readTag } from '../cache/tag-vocabulary.js';

@Resolver(() => InventoryLevel)
export class InventoryLevelResolver {
  @Authorized(WRITERS)
  @Mutation(() => InventoryLevel, { description: 'Adds delta (negative to remove) to the stock on hand; never below zero' })
  adjustInventory(
    @Ctx() ctx: RequestContext,
    @Arg('storeId', () => ID) storeId: string,
    @Arg('productId', () => ID) productId: string,
    @Arg('delta', () => Int) delta: number,
  ) {
    const store = parseId(storeId, 'storeId');
    assertStoreVisible(principalOf(ctx), store);
    return adjustInventory(ctx, { storeId: store, productId: parseId(productId, 'productId'), delta });
  }

  @Cached({ ttl: 600, tags: [readTag.stores()] })
  @FieldResolver(() => Store)
  store(@Root() level: InventoryLevel, @Ctx() ctx: RequestContext) {
    return loadStore(ctx, level.storeId);
  }

  @Cached({ ttl: 600, tags: [readTag.catalog()] })
  @FieldResolver(() => Product)
  product(@Root() level: InventoryLevel, @Ctx() ctx: RequestContext) {
    return loadProduct(ctx, level.productId);
  }
}
