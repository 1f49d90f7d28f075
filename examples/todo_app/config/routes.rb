Rails.application.routes.draw do
  resources :lists, only: %i[index show new create destroy] do
    # Lazy-loaded <turbo-frame> on lists#show.
    get :stats, on: :member

    resources :todos, only: %i[new create edit update destroy] do
      patch :toggle, on: :member
    end
  end

  # Reveal health status on /up that returns 200 if the app boots with no exceptions.
  get "up" => "rails/health#show", as: :rails_health_check

  root "lists#index"
end
