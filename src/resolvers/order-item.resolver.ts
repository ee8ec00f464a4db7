import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { loadProduct } from '../loaders/entity-by-id.loader.js';
import { OrderItem } from '../schema/types/order-item.type.js';
import { Product } from '../schema/types/product.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';

@Resolver(() => OrderItem)
export class OrderItemResolver {
  @Cached({ ttl: 600, tags: [readTag.catalog()] })
  @FieldResolver(() => Product)
  product(@Root() item: OrderItem, @Ctx() ctx: RequestContext) {
    return loadProduct(ctx, item.productId);
  }
}
