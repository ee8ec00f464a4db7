import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { loadCategory, loadProduct } from '../loaders/entity-by-id.loader.js';
import { Category } from '../schema/types/category.type.js';
import { CategoryPerformance } from '../schema/types/category-performance.type.js';
import { ProductPerformance } from '../schema/types/product-performance.type.js';
import { Product } from '../schema/types/product.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';

@Resolver(() => ProductPerformance)
export class ProductPerformanceResolver {
  @Cached({ ttl: 600, tags: [readTag.catalog()] })
  @FieldResolver(() => Product)
  product(@Root() row: ProductPerformance, @Ctx() ctx: RequestContext) {
    return loadProduct(ctx, row.productId);
  }
}

@Resolver(() => CategoryPerformance)
export class CategoryPerformanceResolver {
  @Cached({ ttl: 600, tags: [readTag.catalog()] })
  @FieldResolver(() => Category)
  category(@Root() row: CategoryPerformance, @Ctx() ctx: RequestContext) {
    return loadCategory(ctx, row.categoryId);
  }
}
