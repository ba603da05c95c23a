DROP TABLE product_images;
DROP FUNCTION product_images_notify();
DROP FUNCTION product_images_release();
DROP TABLE media_variants;
DROP TABLE media;
