# Unit tests: one reconcile (Private/Reconcile.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Invoke-Reconcile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given a clean server, forwards every port, opens the firewall and records both in state.json' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $result = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)
            $result.PSObject.TypeNames | Should -Contain 'WslPortProxy.RunResult'
            $result.Address | Should -Be '172.28.241.140'
            $result.Written | Should -Be 5
            $result.Message | Should -Be 'Applied: 5 rule(s) written, 0 removed.'
            $state = Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'state.json') | ConvertFrom-Json
            @($state.portProxy.PSObject.Properties.Name) | Should -HaveCount 4
            @($state.firewall) | Should -Be @('WslPortProxy-TCP-0.0.0.0-80')
            (Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)).Message | Should -Be 'No change: every rule is already right.'
        }
    }

    It 'Given -Remove, deletes only what it recorded, without asking WSL' {
        Set-SimPortProxy @{ '0.0.0.0/3389' = '10.0.0.5/3389' }
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Mock Find-WslProgram { throw 'must not be called' }
            $result = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) -Remove
            $result.Removed | Should -Be 5
            $result.Address | Should -BeNullOrEmpty
        }
        @((Get-SimPortProxy).Keys) | Should -Be @('0.0.0.0/3389')
        Get-SimFirewall | Should -BeNullOrEmpty
    }

    It 'Given a failure half-way, still records exactly what it wrote, and fails' {
        Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(2); writes = 0 }
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            { Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) } | Should -Throw -ErrorId 'WslPortProxy.NetshFailed'
            $state = Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'state.json') | ConvertFrom-Json
            @($state.portProxy.PSObject.Properties.Name) | Should -Be @('0.0.0.0/80')
        }
    }

    It 'writes event 1000 for a change and 1001 for none' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ PodmanMachine = $false })
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive)
            $null = Invoke-Reconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive)
        }
        Get-SimEvent | Should -Be @('1000 Information Applied: 5 rule(s) written, 0 removed.', '1001 Information No change: every rule is already right.')
    }
}
