// brief-form
