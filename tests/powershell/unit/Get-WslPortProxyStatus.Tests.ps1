# Unit tests: Get-WslPortProxyStatus (Public/Get-WslPortProxyStatus.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
    $script:Settings = Join-Path $script:Bundle 'WslPortProxy.Settings.psd1'
}

Describe 'Get-WslPortProxyStatus' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Get-WslPortProxyStatus returns one PortStatus per port, and says so when WSL has no address' {
        $null = Update-WslPortProxy -Settings $script:Settings
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80); blocked = @() }
        $rows = @(Get-WslPortProxyStatus -Settings $script:Settings)
        $rows | Should -HaveCount 1
        $rows[0].PSObject.TypeNames | Should -Contain 'WslPortProxy.PortStatus'
        $rows[0].Ok | Should -BeTrue
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $null } }
        $row = Get-WslPortProxyStatus -Settings $script:Settings -WarningAction SilentlyContinue
        $row.Target | Should -BeNullOrEmpty
        $row.Problem | Should -Be 'WSL has no address; portproxy rule stale (points at 172.28.241.140/80)'
    }

    It 'Get-WslPortProxyStatus reads the portproxy rules once, for auto_ports and for the checks' {
        $null = Update-WslPortProxy -Settings $script:Settings
        Mock -ModuleName WslPortProxy Get-PortProxyRule { @{ '0.0.0.0/80' = '172.28.9.9/80' } }
        $row = Get-WslPortProxyStatus -Settings $script:Settings -WarningAction SilentlyContinue
        $row.Rule | Should -Be 'stale (points at 172.28.9.9/80)'   # the checks saw that one read
        Should -Invoke -ModuleName WslPortProxy Get-PortProxyRule -Times 1 -Exactly
    }
}
