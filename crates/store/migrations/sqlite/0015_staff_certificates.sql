-- A staff member's service certificate number (a taxi driver's 客运服务资格证,
-- seed 002 第一篇: 公开运政监督电话和客运服务资格证): shown with the driver's
-- name on the vehicle's public card.
ALTER TABLE staff ADD COLUMN certificate_no TEXT;
